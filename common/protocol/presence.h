// SPDX-License-Identifier: MIT
#pragma once

#include <QJsonObject>
#include <QString>

#include <optional>

namespace flippdeal::protocol {

//! \brief One member of a presence channel, as carried in `channel_data`.
struct PresenceMember
{
    QString userId;       //!< always a string on the wire; numbers are converted
    QJsonObject userInfo; //!< free-form, `{name}` for FlippDeal users

    //! The `channel_data` JSON text the auth endpoint signs.
    QByteArray toChannelData() const;
};

//! \brief Parses `channel_data`: an object with `user_id` (non-empty string or integer) and
//! an optional object `user_info`.
std::optional<PresenceMember> parsePresenceMember(const QString &channelData,
                                                  QString *errorString = nullptr);

} // namespace flippdeal::protocol

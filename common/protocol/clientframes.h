// SPDX-License-Identifier: MIT
#pragma once

#include <QJsonObject>
#include <QString>

//! \file Frames a client sends, for the code that plays a client (the load generator, the
//! server tests). frame.h decodes them on the server's side.

namespace flippdeal::protocol {

//! \brief A `pusher:subscribe` frame for `channel`; `auth` (private and presence channels) and
//! `channelData` (presence) only when not empty. parseSubscribe reads it back.
QJsonObject subscribeFrame(const QString &channel, const QString &auth = {},
                           const QString &channelData = {});

} // namespace flippdeal::protocol

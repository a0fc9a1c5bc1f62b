// SPDX-License-Identifier: MIT
#include "clientframes.h"

namespace flippdeal::protocol {

QJsonObject subscribeFrame(const QString &channel, const QString &auth, const QString &channelData)
{
    QJsonObject data{{QLatin1String("channel"), channel}};
    if (!auth.isEmpty())
        data.insert(QLatin1String("auth"), auth);
    if (!channelData.isEmpty())
        data.insert(QLatin1String("channel_data"), channelData);
    return {{QLatin1String("event"), QStringLiteral("pusher:subscribe")},
            {QLatin1String("data"), data}};
}

} // namespace flippdeal::protocol

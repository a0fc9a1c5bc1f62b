// SPDX-License-Identifier: MIT
// Channel names (common/protocol/channelname.h), from subscribe frames, the HTTP API and the
// history route: validation and the access class their prefix gives.
#include "fuzzinput.h"

#include "protocol/channelname.h"

using namespace flippdeal::protocol;
using flippdeal::fuzz::check;

namespace {

bool allowed(QChar c)
{
    return (c >= u'a' && c <= u'z') || (c >= u'A' && c <= u'Z') || (c >= u'0' && c <= u'9') ||
           QStringView(u"_-=@,.;").contains(c);
}

void checkName(const QString &name)
{
    QString error;
    const auto channel = parseChannelName(name, &error);
    if (!channel) {
        check(!error.isEmpty(), "a refused name has a reason");
        return;
    }
    check(channel->name == name, "the name is kept as given");
    check(!name.isEmpty() && name.size() <= MaxChannelNameLength, "1 to 164 characters");
    const bool toUser = channel->type == ChannelType::ServerToUser;
    check(toUser == name.startsWith(QLatin1String(ServerToUserPrefix)), "#server-to-user- only");
    const QStringView checked = QStringView(name).mid(toUser ? 16 : 0);
    for (const QChar c : checked)
        check(allowed(c), "only the allowed characters");
    if (toUser) {
        check(!channel->serverToUserId().isEmpty(), "a server-to-user channel names its user");
        check(!channel->requiresAuth() && !channel->isSequenced(), "server-to-user is not signed");
    } else {
        check(channel->serverToUserId().isEmpty(), "only server-to-user channels name a user");
    }
    const bool isPrivate = name.startsWith(QLatin1String("private-"));
    const bool isPresence = name.startsWith(QLatin1String("presence-"));
    check(channel->requiresAuth() == (isPrivate || isPresence), "private and presence are signed");
    check(!channel->allowsClientEvents() || channel->requiresAuth(),
          "client events only on signed channels");
    check(channel->type != ChannelType::PrivateEncrypted || !channel->allowsClientEvents(),
          "no client events on encrypted channels");
    if (channel->cache)
        check(name.contains(QLatin1String("cache-")), "cache channels say so");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    // As UTF-8 text (how names arrive), and as raw UTF-16 (lone surrogates, NULs).
    checkName(QString::fromUtf8(reinterpret_cast<const char *>(data), qsizetype(size)));
    checkName(QString(reinterpret_cast<const QChar *>(data), qsizetype(size / 2)));
    return 0;
}

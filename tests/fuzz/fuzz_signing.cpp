// SPDX-License-Identifier: MIT
// Signatures (common/protocol/signing.h): the `key:signature` auth strings of channel
// authorization and pusher:signin, and the signed Pusher HTTP API
// (server/pusherapi/apisignature.h). Input, one a line: socket id, channel, channel_data, auth,
// HTTP method, path, query string (`a=b&c=d`, percent-encoded), then the body.
#include "fuzzinput.h"

#include "protocol/signing.h"
#include "pusherapi/apisignature.h"

#include <QUrl>

using namespace flippdeal;
using namespace flippdeal::server;
using flippdeal::fuzz::check;

namespace {

const QByteArray Key = "flippdeal-key";
const QByteArray Secret = "fuzz-secret";
constexpr qint64 Now = 1'700'000'000;

protocol::QueryParams parseQuery(const QByteArray &text)
{
    protocol::QueryParams query;
    for (const QByteArray &pair : text.split('&')) {
        if (pair.isEmpty())
            continue;
        const qsizetype eq = pair.indexOf('=');
        query.append({QUrl::fromPercentEncoding(eq < 0 ? pair : pair.left(eq)),
                      eq < 0 ? QString() : QUrl::fromPercentEncoding(pair.mid(eq + 1))});
    }
    return query;
}

bool isAuthParam(const QString &key)
{
    return key.startsWith(QLatin1String("auth_")) || key == QLatin1String("body_md5");
}

void checkChannelAuth(const QList<QByteArray> &fields)
{
    const QString socketId = QString::fromUtf8(fields[0]);
    const QString channel = QString::fromUtf8(fields[1]);
    const QString channelData = QString::fromUtf8(fields[2]);
    const QByteArray &auth = fields[3];
    const QByteArray expected = protocol::channelAuth(Key, Secret, socketId, channel, channelData);
    check(expected.startsWith(Key + ':') && expected.size() == Key.size() + 1 + 64,
          "auth is key:64 hex digits");
    check(protocol::verifyChannelAuth(Key, Secret, socketId, channel, channelData, expected),
          "a genuine auth verifies");
    check(protocol::verifyChannelAuth(Key, Secret, socketId, channel, channelData, auth) ==
              (auth == expected),
          "only the genuine auth verifies");
    QByteArray forged = expected;
    forged[forged.size() - 1] = forged.back() == '0' ? '1' : '0';
    check(!protocol::verifyChannelAuth(Key, Secret, socketId, channel, channelData, forged),
          "a changed signature fails");
    const QByteArray signin = protocol::userAuth(Key, Secret, socketId, channelData);
    check(protocol::constantTimeEquals(signin, auth) == (signin == auth),
          "constant-time comparison is comparison");
}

void checkApiSignature(const QList<QByteArray> &fields)
{
    HttpRequest request;
    request.method = fields[4].toUpper();
    request.path = QUrl::fromPercentEncoding(fields[5]);
    request.query = parseQuery(fields[6]);
    request.body = fields[7];

    // As sent: whatever it is, it must be answered; accepted only when truly signed.
    const auto asSent = verifyApiSignature(request, QString::fromLatin1(Key), Secret, Now);
    if (asSent)
        check(asSent->status == 401 && !asSent->message.isEmpty(), "a 401 with a message");
    else
        check(request.queryValue(QStringLiteral("auth_signature")).toLatin1() ==
                  protocol::apiSignature(Secret, request.method, request.path, request.query),
              "accepted only with the right signature");

    // Signed properly with the timestamp it carries: accepted exactly when that is in time.
    const QString timestamp =
        request.queryValue(QStringLiteral("auth_timestamp"), QString::number(Now));
    HttpRequest signedRequest = request;
    signedRequest.query.removeIf([](const auto &pair) { return isAuthParam(pair.first); });
    signedRequest.query.append({QStringLiteral("auth_key"), QString::fromLatin1(Key)});
    signedRequest.query.append({QStringLiteral("auth_timestamp"), timestamp});
    signedRequest.query.append({QStringLiteral("auth_version"), QStringLiteral("1.0")});
    if (!request.body.isEmpty())
        signedRequest.query.append(
            {QStringLiteral("body_md5"), QString::fromLatin1(protocol::bodyMd5Hex(request.body))});
    signedRequest.query.append(
        {QStringLiteral("auth_signature"),
         QString::fromLatin1(protocol::apiSignature(Secret, signedRequest.method,
                                                    signedRequest.path, signedRequest.query))});
    bool ok = false;
    const qint64 seconds = timestamp.toLongLong(&ok);
    const bool inTime = ok && !timestamp.isEmpty() && seconds >= Now - MaxApiClockSkewSeconds &&
                        seconds <= Now + MaxApiClockSkewSeconds;
    const auto result = verifyApiSignature(signedRequest, QString::fromLatin1(Key), Secret, Now);
    check(result.has_value() != inTime, "a signed request is accepted exactly when in time");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QList<QByteArray> fields = flippdeal::fuzz::splitFields(data, size, 8);
    checkChannelAuth(fields);
    checkApiSignature(fields);
    return 0;
}

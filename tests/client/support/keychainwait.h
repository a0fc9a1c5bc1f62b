// SPDX-License-Identifier: MIT
#pragma once

//! \file Synchronous access to the real keychain (TokenStore) for tests: each call waits up
//! to 10 s for the job to answer.

#include "tokenstore.h"

#include <QtTest>

#include <memory>

namespace flippdeal::testing {

//! What a keychain job answered; `done` stays false when it did not answer in time.
struct KeychainAnswer
{
    bool done = false;
    QByteArray token;
    QString error;
};

inline KeychainAnswer waitForKeychain(const std::shared_ptr<KeychainAnswer> &answer)
{
    if (!QTest::qWaitFor([&answer] { return answer->done; }, 10000))
        qWarning("the keychain did not answer in 10 s");
    return *answer;
}

inline KeychainAnswer readEntry(client::TokenStore &store, const QString &account)
{
    auto answer = std::make_shared<KeychainAnswer>();
    store.read(account, [answer](const QByteArray &token, const QString &error) {
        *answer = {true, token, error};
    });
    return waitForKeychain(answer);
}

inline KeychainAnswer writeEntry(client::TokenStore &store, const QString &account,
                                 const QByteArray &token)
{
    auto answer = std::make_shared<KeychainAnswer>();
    store.write(account, token, [answer](const QString &error) { *answer = {true, {}, error}; });
    return waitForKeychain(answer);
}

inline KeychainAnswer removeEntry(client::TokenStore &store, const QString &account)
{
    auto answer = std::make_shared<KeychainAnswer>();
    store.remove(account, [answer](const QString &error) { *answer = {true, {}, error}; });
    return waitForKeychain(answer);
}

} // namespace flippdeal::testing

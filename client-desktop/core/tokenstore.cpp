// SPDX-License-Identifier: MIT
#include "tokenstore.h"

#include <qt6keychain/keychain.h>

#include <QUrl>

namespace flippdeal::client {

namespace {

// A job has no parent: QtKeychain's backends call back into a running job, so deleting one
// before it finishes (with its store) crashes later. It deletes itself when it finishes; the
// connection to the store's callback goes away with the store.
template <typename Job>
Job *makeJob(const QString &service, const QString &account)
{
    auto *job = new Job(service);
    job->setAutoDelete(true);
    job->setInsecureFallback(false);
    job->setKey(account);
    return job;
}

QString describe(const QKeychain::Job &job)
{
    return TokenStore::tr("The system keychain refused: %1").arg(job.errorString());
}

} // namespace

TokenStore::TokenStore(QString service, QObject *parent)
    : QObject(parent)
    , m_service(std::move(service))
{}

QString TokenStore::accountKey(const QString &serverUrl, const QString &email)
{
    const QUrl url(serverUrl);
    const QString server = url.isValid() ? url.adjusted(QUrl::RemovePath | QUrl::RemoveQuery |
                                                        QUrl::RemoveFragment | QUrl::RemoveUserInfo)
                                               .toString()
                                         : serverUrl;
    return email.trimmed().toLower() + QLatin1Char('@') + server;
}

void TokenStore::read(const QString &account, ReadCallback done)
{
    auto *job = makeJob<QKeychain::ReadPasswordJob>(m_service, account);
    connect(job, &QKeychain::Job::finished, this, [job, done = std::move(done)] {
        if (job->error() == QKeychain::EntryNotFound)
            done({}, {});
        else if (job->error() != QKeychain::NoError)
            done({}, describe(*job));
        else
            done(job->binaryData(), {});
    });
    job->start();
}

void TokenStore::write(const QString &account, const QByteArray &token, Callback done)
{
    auto *job = makeJob<QKeychain::WritePasswordJob>(m_service, account);
    job->setBinaryData(token);
    connect(job, &QKeychain::Job::finished, this, [job, done = std::move(done)] {
        done(job->error() == QKeychain::NoError ? QString() : describe(*job));
    });
    job->start();
}

void TokenStore::remove(const QString &account, Callback done)
{
    auto *job = makeJob<QKeychain::DeletePasswordJob>(m_service, account);
    connect(job, &QKeychain::Job::finished, this, [job, done = std::move(done)] {
        const bool ok =
            job->error() == QKeychain::NoError || job->error() == QKeychain::EntryNotFound;
        done(ok ? QString() : describe(*job));
    });
    job->start();
}

} // namespace flippdeal::client

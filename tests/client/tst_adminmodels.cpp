// SPDX-License-Identifier: MIT
// The admin console's controller and models (client-desktop/admin/core) against a real server in
// this process and the real (throwaway) keychain: sign-in as an administrator and the refusal of
// other accounts, the tables of every tab under QAbstractItemModelTester, search, the stats
// poll behind the dashboard, and each action (ban, revoke, terminate, jobs, escrow, auctions,
// announcement) with its confirmation and its effect on the server. Also the formatting of
// money and times and the sorting through QSortFilterProxyModel, without a server.
#include "adminconsole.h"
#include "admintablemodels.h"
#include "announcementtool.h"
#include "auctionstoolmodel.h"
#include "channelstoolmodel.h"
#include "escrowstoolmodel.h"
#include "failedjobstoolmodel.h"
#include "formatting.h"
#include "jsontablemodel.h"
#include "pendingjobstoolmodel.h"
#include "statsmodel.h"
#include "userstoolmodel.h"

#include "apiclient.h"
#include "session.h"
#include "testhelpers.h"
#include "testserver.h"

#include "auth/accountservice.h"
#include "escrow/escrowservice.h"
#include "jobs/jobqueue.h"
#include "storage/database.h"

#include "protocol/timeformat.h"

#include <QAbstractItemModelTester>
#include <QJsonArray>
#include <QJsonDocument>
#include <QRandomGenerator>
#include <QSettings>
#include <QSignalSpy>
#include <QSortFilterProxyModel>
#include <QTemporaryDir>
#include <QtTest>

#include <memory>

using namespace flippdeal;
using admin::AdminConsole;

namespace {

const QString Password = QStringLiteral("correct horse battery"); // TestServer::registerUser's
constexpr int AuthTimeoutMs = 20000;                              // Argon2id on two shared cores
constexpr int Timeout = 10000;

qint64 idOf(const QJsonObject &object)
{
    return object.value(QLatin1String("id")).toInteger(-1);
}

//! The text a view shows in `column` of the row with `id`.
QString cell(const admin::JsonTableModel &model, const QJsonValue &id, int column)
{
    const int row = model.rowOfId(id);
    if (row < 0)
        return QStringLiteral("<no row %1>").arg(id.toVariant().toString());
    return model.index(row, column).data().toString();
}

//! Every model of the console under QAbstractItemModelTester, plus sorting proxies over them.
struct ModelTesters
{
    explicit ModelTesters(AdminConsole &console)
    {
        const QList<QAbstractItemModel *> models{
            console.stats(),       console.users(),      console.channels(), console.members(),
            console.pendingJobs(), console.failedJobs(), console.escrows(),  console.auctions()};
        for (QAbstractItemModel *model : models) {
            testers.push_back(std::make_unique<QAbstractItemModelTester>(
                model, QAbstractItemModelTester::FailureReportingMode::QtTest));
            auto proxy = std::make_unique<QSortFilterProxyModel>();
            proxy->setSourceModel(model);
            proxy->setSortRole(admin::JsonTableModel::SortRole);
            proxy->sort(0);
            testers.push_back(std::make_unique<QAbstractItemModelTester>(
                proxy.get(), QAbstractItemModelTester::FailureReportingMode::QtTest));
            proxies.push_back(std::move(proxy));
        }
    }

    std::vector<std::unique_ptr<QSortFilterProxyModel>> proxies;
    std::vector<std::unique_ptr<QAbstractItemModelTester>> testers;
};

//! Refreshes `tool` and waits for the answer: true when it said it was loading, then loaded
//! without an error.
template <class Tool>
bool loadsOnce(Tool &tool)
{
    // A poll may be in flight: start from a quiet tool.
    if (!QTest::qWaitFor([&] { return !tool.isLoading(); }, Timeout))
        return false;
    QSignalSpy loaded(&tool, &Tool::loaded);
    QSignalSpy loadingChanged(&tool, &Tool::loadingChanged);
    tool.refresh();
    if (!tool.isLoading() || loadingChanged.isEmpty())
        return false;
    if (!QTest::qWaitFor([&] { return !tool.isLoading(); }, Timeout))
        return false;
    return !loaded.isEmpty() && loadingChanged.size() >= 2 && tool.errorString().isEmpty();
}

} // namespace

class TestAdminModels : public QObject
{
    Q_OBJECT

    std::unique_ptr<testing::TestServer> m_server;
    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<QSettings> m_settings;
    std::unique_ptr<AdminConsole> m_console;
    std::unique_ptr<ModelTesters> m_testers;
    QString m_service;
    protocol::User m_admin;
    testing::Session m_alice; // sells
    testing::Session m_bob;   // buys
    testing::Session m_carol; // gets banned
    testing::Session m_dave;  // loses tokens and connections
    int m_names = 0;

    //! The confirmer's answer, and the questions it was asked.
    bool m_answer = true;
    QStringList m_questions;

    AdminConsole &console() { return *m_console; }

    QString address() const { return QStringLiteral("http://127.0.0.1:%1").arg(m_server->port()); }

    //! Runs `start` (an action returning whether it started) and waits for its end.
    std::pair<bool, QString> perform(const std::function<bool(AdminConsole::Done)> &start)
    {
        auto result = std::make_shared<std::optional<std::pair<bool, QString>>>();
        const bool started = start(
            [result](bool ok, const QString &message) { *result = std::make_pair(ok, message); });
        if (!started && !*result)
            return {false, QStringLiteral("<not started>")};
        if (!QTest::qWaitFor([result] { return result->has_value(); }, Timeout))
            return {false, QStringLiteral("<no answer>")};
        return **result;
    }

    //! Refreshes `table` and waits for its answer.
    bool reload(AdminConsole::Table table)
    {
        QSignalSpy refreshed(&console(), &AdminConsole::refreshed);
        console().refresh(table);
        return QTest::qWaitFor(
            [&] {
                for (const QList<QVariant> &args : std::as_const(refreshed)) {
                    if (args.first().value<AdminConsole::Table>() == table)
                        return true;
                }
                return false;
            },
            Timeout);
    }

    QString nextDomain()
    {
        return QStringLiteral("adminlot-%1-%2.com")
            .arg(++m_names)
            .arg(qint64(QCoreApplication::applicationPid()));
    }

    //! A disputed escrow of `amount` cents: Alice sells, Bob buys, funds and disputes.
    qint64 disputedEscrow(qint64 amount, qint64 *domainId, QString *domainName)
    {
        *domainName = nextDomain();
        const testing::Reply listed = m_server->post(
            QStringLiteral("/api/domains"),
            {{QLatin1String("name"), *domainName}, {QLatin1String("enable_bidding"), false}},
            m_alice.token);
        if (listed.status != 201)
            return 0;
        *domainId = idOf(listed.json.value(QLatin1String("domain")).toObject());
        const testing::Reply offer =
            m_server->post(QStringLiteral("/api/domains/%1/offers").arg(*domainId),
                           {{QLatin1String("amount_cents"), amount}}, m_bob.token);
        if (offer.status != 201)
            return 0;
        const testing::Reply accepted =
            m_server->request("PATCH",
                              QStringLiteral("/api/offers/%1")
                                  .arg(idOf(offer.json.value(QLatin1String("offer")).toObject())),
                              m_alice.token, R"({"action":"accept"})");
        const qint64 escrow = accepted.json.value(QLatin1String("offer"))
                                  .toObject()
                                  .value(QLatin1String("escrow_id"))
                                  .toInteger();
        for (const char *step : {"fund", "dispute"}) {
            if (m_server
                    ->post(
                        QStringLiteral("/api/escrows/%1/%2").arg(escrow).arg(QLatin1String(step)),
                        {}, m_bob.token)
                    .status != 200)
                return 0;
        }
        return escrow;
    }

    //! Queues a payout job for an escrow that does not exist: it fails on its only attempt.
    void queueFailingJob(qint64 escrowId)
    {
        server::Database &db = m_server->app().database();
        QVERIFY(db.transaction([&] {
            server::JobQueue::enqueue(db, server::EscrowService::PayoutJob,
                                      {{QLatin1String("escrow_id"), escrowId}}, protocol::nowMs(),
                                      1);
            return true;
        }));
    }

private Q_SLOTS:
    void initTestCase()
    {
        m_server = std::make_unique<testing::TestServer>();
        QVERIFY2(m_server->isRunning(), qPrintable(m_server->errorString()));
        const auto admin = m_server->app().accounts().createUserBlocking(
            QStringLiteral("Ops Admin"), QStringLiteral("ops@test.flippdeal.test"), Password,
            QStringLiteral("admin"));
        QVERIFY2(admin, admin ? "" : qPrintable(admin.error().message));
        m_admin = *admin;
        m_alice = m_server->registerUser(QStringLiteral("Alice"));
        m_bob = m_server->registerUser(QStringLiteral("Bob"));
        m_carol = m_server->registerUser(QStringLiteral("Carol"));
        m_dave = m_server->registerUser(QStringLiteral("Dave"));
        QVERIFY(!m_dave.token.isEmpty());

        m_dir = std::make_unique<QTemporaryDir>();
        QVERIFY(m_dir->isValid());
        m_settings = std::make_unique<QSettings>(m_dir->filePath(QStringLiteral("admin.ini")),
                                                 QSettings::IniFormat);
        m_service =
            QStringLiteral("flippdeal-admin-test-%1").arg(QRandomGenerator::global()->generate());
        m_console = std::make_unique<AdminConsole>(*m_settings, m_service);
        m_testers = std::make_unique<ModelTesters>(*m_console);
        console().setPollInterval(200);
        console().setConfirmer([this](const QString &title, const QString &question) {
            m_questions.append(title + QLatin1Char('\n') + question);
            return m_answer;
        });
    }

    void init()
    {
        m_answer = true;
        m_questions.clear();
    }

    void cleanupTestCase()
    {
        // Leaves the keychain as it was: signing out deletes the entry.
        if (m_console && m_console->isSignedIn()) {
            m_console->signOut();
            QTest::qWait(500);
        }
        m_testers.reset();
        m_console.reset();
    }

    // ---- Without a server -------------------------------------------------------------------

    void money_data()
    {
        QTest::addColumn<qint64>("cents");
        QTest::addColumn<QString>("text");
        QTest::addRow("zero") << qint64(0) << QStringLiteral("$0.00");
        QTest::addRow("cents") << qint64(5) << QStringLiteral("$0.05");
        QTest::addRow("dollars") << qint64(89900) << QStringLiteral("$899.00");
        QTest::addRow("thousands") << qint64(123456) << QStringLiteral("$1,234.56");
        QTest::addRow("millions") << qint64(123456789) << QStringLiteral("$1,234,567.89");
        QTest::addRow("negative") << qint64(-250075) << QStringLiteral("-$2,500.75");
    }

    void money()
    {
        QFETCH(qint64, cents);
        QFETCH(QString, text);
        QCOMPARE(admin::format::money(cents), text);
    }

    void times()
    {
        const QDateTime utc(QDate(2025, 11, 25), QTime(20, 59, 1, 123), QTimeZone::utc());
        QCOMPARE(admin::format::localTime(QStringLiteral("2025-11-25T20:59:01.123Z")),
                 utc.toLocalTime().toString(QStringLiteral("yyyy-MM-dd HH:mm:ss")));
        QCOMPARE(admin::format::epochMs(QStringLiteral("2025-11-25T20:59:01.123Z")),
                 utc.toMSecsSinceEpoch());
        QCOMPARE(admin::format::localTime(QJsonValue()), QString());
        QCOMPARE(admin::format::localTime(QStringLiteral("yesterday")), QString());
        QCOMPARE(admin::format::duration(45), QStringLiteral("45 s"));
        QCOMPARE(admin::format::duration(12 * 60 + 5), QStringLiteral("12 min 5 s"));
        QCOMPARE(admin::format::duration(3 * 3600 + 20 * 60 + 9), QStringLiteral("3 h 20 min"));
        QCOMPARE(admin::format::duration(2 * 86400 + 4 * 3600), QStringLiteral("2 d 4 h"));
        QCOMPARE(admin::format::relative(utc.addSecs(250), utc), QStringLiteral("in 4 min 10 s"));
        QCOMPARE(admin::format::relative(utc.addSecs(-3600), utc), QStringLiteral("1 h ago"));
        QCOMPARE(admin::format::relative(utc.addSecs(-1), utc, QStringLiteral("ending")),
                 QStringLiteral("ending"));
    }

    void tableModelMergesAndSorts()
    {
        admin::NameDirectory names;
        admin::AuctionTableModel model(names);
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        QSortFilterProxyModel proxy;
        proxy.setSourceModel(&model);
        proxy.setSortRole(admin::JsonTableModel::SortRole);
        QAbstractItemModelTester proxyTester(
            &proxy, QAbstractItemModelTester::FailureReportingMode::QtTest);
        const auto auction = [](qint64 id, const char *name, qint64 bid, qint64 owner) {
            return QJsonObject{
                {QLatin1String("id"), id},
                {QLatin1String("name"), QLatin1String(name)},
                {QLatin1String("owner_id"), owner},
                {QLatin1String("current_bid_cents"), bid},
                {QLatin1String("bid_count"), bid > 0 ? 1 : 0},
                {QLatin1String("reserve_cents"), QJsonValue()},
                {QLatin1String("high_bidder_id"), QJsonValue()},
                {QLatin1String("watchers"), 2},
                {QLatin1String("ends_at"), QStringLiteral("2030-01-01T00:00:00.000Z")}};
        };
        model.setRows({auction(1, "a.com", 90000, 7), auction(2, "b.com", 1000000, 8),
                       auction(3, "c.com", 5000, 7)});
        QCOMPARE(model.rowCount(), 3);
        QCOMPARE(model.columnCount(), 10);
        QCOMPARE(
            model.headerData(admin::AuctionTableModel::CurrentBidColumn, Qt::Horizontal).toString(),
            QStringLiteral("Current bid"));
        QCOMPARE(cell(model, 2, admin::AuctionTableModel::CurrentBidColumn),
                 QStringLiteral("$10,000.00"));
        QCOMPARE(cell(model, 1, admin::AuctionTableModel::ReserveColumn), QStringLiteral("none"));
        QCOMPARE(cell(model, 1, admin::AuctionTableModel::HighBidderColumn), QStringLiteral("—"));
        QCOMPARE(model.objectAt(model.rowOfId(3)).value(QLatin1String("name")).toString(),
                 QStringLiteral("c.com"));

        // Money sorts by cents, not by text ("$10,000.00" < "$50.00" as strings).
        proxy.sort(admin::AuctionTableModel::CurrentBidColumn, Qt::AscendingOrder);
        QStringList order;
        for (int row = 0; row < proxy.rowCount(); ++row)
            order.append(
                proxy.index(row, admin::AuctionTableModel::DomainColumn).data().toString());
        QCOMPARE(order, QStringList({QStringLiteral("c.com"), QStringLiteral("a.com"),
                                     QStringLiteral("b.com")}));

        // Names replace ids as they are learnt.
        QCOMPARE(cell(model, 1, admin::AuctionTableModel::OwnerColumn), QStringLiteral("#7"));
        QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
        names.addUsers({QJsonObject{{QLatin1String("id"), 7},
                                    {QLatin1String("name"), QStringLiteral("Seven Sellers")}}});
        QCOMPARE(changed.size(), 1);
        QCOMPARE(cell(model, 1, admin::AuctionTableModel::OwnerColumn),
                 QStringLiteral("Seven Sellers"));

        // A new answer is merged: the row that stays keeps its persistent index.
        const QPersistentModelIndex kept = model.index(model.rowOfId(2), 0);
        QSignalSpy reset(&model, &QAbstractItemModel::modelReset);
        model.setRows({auction(2, "b.com", 1100000, 8), auction(4, "d.com", 0, 9)});
        QCOMPARE(reset.size(), 0);
        QVERIFY(kept.isValid());
        QCOMPARE(kept.data(admin::JsonTableModel::IdRole).toLongLong(), qint64(2));
        QCOMPARE(model.rowCount(), 2);
        QCOMPARE(cell(model, 2, admin::AuctionTableModel::CurrentBidColumn),
                 QStringLiteral("$11,000.00"));
        QCOMPARE(model.rowOfId(1), -1);
        model.clear();
        QCOMPARE(model.rowCount(), 0);
    }

    // ---- Against the server -----------------------------------------------------------------

    void nonAdministratorIsRefused()
    {
        QTemporaryDir dir;
        QSettings settings(dir.filePath(QStringLiteral("other.ini")), QSettings::IniFormat);
        AdminConsole other(settings, m_service + QStringLiteral("-other"));
        QSignalSpy signedIn(&other, &AdminConsole::signedIn);
        other.signIn(address(), m_alice.user.email, Password);
        QCOMPARE(other.status(), AdminConsole::Status::SigningIn);
        QTRY_COMPARE_WITH_TIMEOUT(other.errorString(), AdminConsole::notAdministratorMessage(),
                                  AuthTimeoutMs);
        QCOMPARE(other.errorString(), QStringLiteral("This account is not an administrator."));
        QCOMPARE(other.status(), AdminConsole::Status::SignedOut);
        QVERIFY(!other.isSignedIn());
        QCOMPARE(signedIn.size(), 0);
        QVERIFY(other.adminName().isEmpty());
        QVERIFY(other.recentErrors().first().endsWith(AdminConsole::notAdministratorMessage()));
        // The token it got was handed back, and no admin table was loaded.
        QVERIFY(other.api().token().isEmpty());
        QCOMPARE(other.users()->rowCount(), 0);
        // Actions refuse to start.
        QSignalSpy failed(&other, &AdminConsole::actionFailed);
        QVERIFY(!other.banUser(m_carol.user.id));
        QCOMPARE(failed.size(), 1);
        QTest::qWait(300); // let the logout request finish before `other` goes
    }

    void signInLoadsEveryTable()
    {
        QSignalSpy signedIn(&console(), &AdminConsole::signedIn);
        QSignalSpy refreshed(&console(), &AdminConsole::refreshed);
        console().signIn(address(), m_admin.email, QStringLiteral("wrong password!"));
        QTRY_VERIFY_WITH_TIMEOUT(!console().errorString().isEmpty(), AuthTimeoutMs);
        QCOMPARE(console().status(), AdminConsole::Status::SignedOut);

        console().signIn(address(), m_admin.email, Password);
        QTRY_COMPARE_WITH_TIMEOUT(console().status(), AdminConsole::Status::SignedIn,
                                  AuthTimeoutMs);
        QCOMPARE(signedIn.size(), 1);
        QVERIFY(console().errorString().isEmpty());
        QCOMPARE(console().adminName(), QStringLiteral("Ops Admin"));
        QCOMPARE(console().serverUrl(), address());
        QSet<int> tables;
        QTRY_VERIFY_WITH_TIMEOUT(
            [&] {
                for (const QList<QVariant> &args : std::as_const(refreshed))
                    tables.insert(int(args.first().value<AdminConsole::Table>()));
                return tables.size() == 6;
            }(),
            Timeout);
        QCOMPARE(console().users()->rowCount(), 5);
        QCOMPARE(console().userTotal(), qint64(5));
    }

    void usersAndSearch()
    {
        QVERIFY(reload(AdminConsole::Table::Users));
        const admin::UserTableModel &users = *console().users();
        QCOMPARE(users.columnCount(), 8);
        QCOMPARE(users.headerData(admin::UserTableModel::EmailColumn, Qt::Horizontal).toString(),
                 QStringLiteral("Email"));
        QCOMPARE(cell(users, m_alice.user.id, admin::UserTableModel::NameColumn),
                 QStringLiteral("Alice"));
        QCOMPARE(cell(users, m_admin.id, admin::UserTableModel::RoleColumn),
                 QStringLiteral("Admin"));
        QCOMPARE(cell(users, m_alice.user.id, admin::UserTableModel::StatusColumn),
                 QStringLiteral("Active"));
        QCOMPARE(users.objectWithId(m_alice.user.id).value(QLatin1String("email")).toString(),
                 m_alice.user.email);

        console().setUserSearch(QStringLiteral("  carol "));
        QTRY_COMPARE(users.rowCount(), 1);
        QCOMPARE(console().userSearch(), QStringLiteral("carol"));
        QCOMPARE(users.objectAt(0).value(QLatin1String("id")).toInteger(), m_carol.user.id);
        QCOMPARE(console().userTotal(), qint64(1));
        console().setUserSearch(QStringLiteral("nobody-by-that-name"));
        QTRY_COMPARE(users.rowCount(), 0);
        console().setUserSearch({});
        QTRY_COMPARE(users.rowCount(), 5);
    }

    void statsPollFillsTheDashboard()
    {
        admin::StatsModel &stats = *console().stats();
        QCOMPARE(stats.rowCount(), int(admin::StatsModel::FigureCount));
        QCOMPARE(stats.columnCount(), 2);
        QTRY_VERIFY(stats.isLoaded());
        QCOMPARE(stats.value(admin::StatsModel::Users), 5.0);
        QCOMPARE(
            stats.index(admin::StatsModel::Users, admin::StatsModel::NameColumn).data().toString(),
            QStringLiteral("Users"));
        QCOMPARE(
            stats.index(admin::StatsModel::Users, admin::StatsModel::ValueColumn).data().toString(),
            QStringLiteral("5"));

        // The poll runs on its own (every 200 ms here): a new connection shows within polls.
        const int polls = int(stats.history(admin::StatsModel::Connections).size());
        const double before = stats.value(admin::StatsModel::Connections);
        QSignalSpy updated(&stats, &admin::StatsModel::updated);
        testing::TestSocket socket(m_server->webSocketUrl());
        QVERIFY(socket.waitConnected());
        QVERIFY(socket.subscribeAuthorized(*m_server, m_dave,
                                           QStringLiteral("private-user.%1").arg(m_dave.user.id)));
        QTRY_VERIFY(stats.value(admin::StatsModel::Connections) >= before + 1);
        QVERIFY(updated.size() >= 1);
        QVERIFY(stats.history(admin::StatsModel::Connections).size() >=
                std::min<qsizetype>(polls + 1, admin::StatsModel::HistoryLength));
        QCOMPARE(stats.history(admin::StatsModel::Connections).last(),
                 stats.value(admin::StatsModel::Connections));
        QTRY_VERIFY(stats.value(admin::StatsModel::Channels) >=
                    1); // the subscription, a poll later
        QVERIFY(stats.updatedAt().isValid());
        QVERIFY(stats.value(admin::StatsModel::Uptime) >= 0);

        // The channel and its subscriber show on the Channels tab.
        QVERIFY(reload(AdminConsole::Table::Channels));
        const QString channel = QStringLiteral("private-user.%1").arg(m_dave.user.id);
        QCOMPARE(cell(*console().channels(), channel, admin::ChannelTableModel::TypeColumn),
                 QStringLiteral("private"));
        QCOMPARE(cell(*console().channels(), channel, admin::ChannelTableModel::SubscribersColumn),
                 QStringLiteral("1"));
    }

    void presenceMembers()
    {
        // An auction room with one member.
        const QString name = nextDomain();
        const testing::Reply created = m_server->post(
            QStringLiteral("/api/domains"),
            {{QLatin1String("name"), name},
             {QLatin1String("enable_bidding"), true},
             {QLatin1String("min_increment_cents"), 100},
             {QLatin1String("ends_at"), protocol::isoUtc(protocol::nowMs() + 3600 * 1000)}},
            m_alice.token);
        QCOMPARE(created.status, 201);
        const qint64 domain = idOf(created.json.value(QLatin1String("domain")).toObject());
        testing::TestSocket socket(m_server->webSocketUrl());
        QVERIFY(socket.waitConnected());
        const QString channel = QStringLiteral("presence-auction.%1").arg(domain);
        QVERIFY(socket.subscribeAuthorized(*m_server, m_bob, channel));
        QVERIFY(reload(AdminConsole::Table::Channels));
        QCOMPARE(cell(*console().channels(), channel, admin::ChannelTableModel::TypeColumn),
                 QStringLiteral("presence"));
        QCOMPARE(cell(*console().channels(), channel, admin::ChannelTableModel::MembersColumn),
                 QStringLiteral("1"));
        console().setMemberChannel(channel);
        QCOMPARE(console().members()->rowCount(), 1);
        QCOMPARE(
            console().members()->index(0, admin::MemberTableModel::UserIdColumn).data().toString(),
            QString::number(m_bob.user.id));
        QCOMPARE(
            console().members()->index(0, admin::MemberTableModel::NameColumn).data().toString(),
            QStringLiteral("Bob"));
        console().setMemberChannel({});
        QCOMPARE(console().members()->rowCount(), 0);
    }

    void toolModelsLoadTheirRows()
    {
        // Each tool fetches its own rows and says so through `loading`.
        QVERIFY(loadsOnce(*console().stats()));
        QVERIFY(loadsOnce(*console().users()));
        QCOMPARE(console().users()->rowCount(), 5);
        QCOMPARE(console().users()->total(), qint64(5));
        QVERIFY(loadsOnce(*console().channels()));
        QVERIFY(loadsOnce(*console().pendingJobs()));
        QVERIFY(loadsOnce(*console().failedJobs()));
        QVERIFY(loadsOnce(*console().escrows()));
        QVERIFY(loadsOnce(*console().auctions()));
        QVERIFY(console().auctions()->rowCount() >= 1); // presenceMembers' auction

        // The users tool keeps its search.
        admin::UsersToolModel &users = *console().users();
        QSignalSpy searchChanged(&users, &admin::UsersToolModel::searchChanged);
        users.setSearch(QStringLiteral(" alice "));
        QCOMPARE(users.search(), QStringLiteral("alice"));
        QCOMPARE(searchChanged.size(), 1);
        QVERIFY(users.isLoading());
        QTRY_COMPARE(users.rowCount(), 1);
        QCOMPARE(users.total(), qint64(1));
        users.setSearch({});
        QTRY_COMPARE(users.rowCount(), 5);
    }

    void toolModelsExposeErrors()
    {
        // A server that cannot be reached: the tool's errorString says so, and the console lists
        // it once and reports the table.
        client::ApiClient &api = console().api();
        const QUrl server = api.baseUrl();
        console().setPollInterval(60000); // no stats poll meanwhile
        api.setBaseUrl(QUrl(QStringLiteral("http://127.0.0.1:1/")));
        admin::ChannelsToolModel &channels = *console().channels();
        QSignalSpy failed(&channels, &admin::JsonTableModel::loadFailed);
        QSignalSpy errorChanged(&channels, &admin::JsonTableModel::errorStringChanged);
        QSignalSpy refreshFailed(&console(), &AdminConsole::refreshFailed);
        channels.refresh();
        QVERIFY(channels.isLoading());
        QTRY_VERIFY_WITH_TIMEOUT(!channels.isLoading(), Timeout);
        QCOMPARE(failed.size(), 1);
        QCOMPARE(errorChanged.size(), 1);
        QVERIFY2(channels.errorString().startsWith(QStringLiteral("The server cannot be reached")),
                 qPrintable(channels.errorString()));
        QCOMPARE(refreshFailed.size(), 1);
        QCOMPARE(refreshFailed.first().at(0).value<AdminConsole::Table>(),
                 AdminConsole::Table::Channels);
        QVERIFY(console().recentErrors().first().endsWith(channels.errorString()));

        // Reachable again: the next load clears the error.
        api.setBaseUrl(server);
        console().setPollInterval(200);
        QVERIFY(loadsOnce(channels));
        QCOMPARE(errorChanged.size(), 2);
    }

    void banAsksFirst()
    {
        m_answer = false;
        QSignalSpy succeeded(&console(), &AdminConsole::actionSucceeded);
        QVERIFY(!console().banUser(m_carol.user.id));
        QCOMPARE(m_questions.size(), 1);
        QVERIFY2(m_questions.first().contains(m_carol.user.email), qPrintable(m_questions.first()));
        QTest::qWait(200);
        QCOMPARE(succeeded.size(), 0);
        QCOMPARE(m_server->get(QStringLiteral("/api/me"), m_carol.token).status, 200);
    }

    void banAndUnban()
    {
        QVERIFY(reload(AdminConsole::Table::Users));
        const auto [ok, message] =
            perform([&](auto done) { return console().banUser(m_carol.user.id, done); });
        QVERIFY2(ok, qPrintable(message));
        QVERIFY2(message.startsWith(QStringLiteral("Banned Carol")), qPrintable(message));
        QCOMPARE(m_questions.size(), 1);
        const admin::UserTableModel &users = *console().users();
        QVERIFY2(cell(users, m_carol.user.id, admin::UserTableModel::StatusColumn)
                     .startsWith(QStringLiteral("Banned ")),
                 qPrintable(cell(users, m_carol.user.id, admin::UserTableModel::StatusColumn)));
        QVERIFY(admin::UserTableModel::isBanned(users.objectWithId(m_carol.user.id)));
        // The API refuses the banned user's token at once.
        QCOMPARE(m_server->get(QStringLiteral("/api/me"), m_carol.token).status, 401);
        QTRY_COMPARE(console().stats()->value(admin::StatsModel::BannedUsers), 1.0);

        // An administrator cannot be banned: the server's reason reaches the UI.
        QSignalSpy failed(&console(), &AdminConsole::actionFailed);
        const auto [adminOk, adminError] =
            perform([&](auto done) { return console().banUser(m_admin.id, done); });
        QVERIFY(!adminOk);
        QCOMPARE(failed.size(), 1);
        QCOMPARE(failed.first().at(0).toString(), QStringLiteral("Ban user"));
        QCOMPARE(failed.first().at(1).toString(), adminError);
        QVERIFY(console().recentErrors().first().contains(adminError));

        const auto [unbanned, unbanMessage] =
            perform([&](auto done) { return console().unbanUser(m_carol.user.id, done); });
        QVERIFY2(unbanned, qPrintable(unbanMessage));
        QCOMPARE(cell(users, m_carol.user.id, admin::UserTableModel::StatusColumn),
                 QStringLiteral("Active"));
    }

    void revokeAndTerminate()
    {
        testing::TestSocket socket(m_server->webSocketUrl());
        QVERIFY(socket.waitConnected());
        QVERIFY(socket.subscribeAuthorized(*m_server, m_dave,
                                           QStringLiteral("private-user.%1").arg(m_dave.user.id)));
        QVERIFY(reload(AdminConsole::Table::Users));
        QVERIFY(cell(*console().users(), m_dave.user.id, admin::UserTableModel::ConnectionsColumn)
                    .toInt() >= 1);

        const auto [closed, closedMessage] = perform(
            [&](auto done) { return console().terminateConnections(m_dave.user.id, done); });
        QVERIFY2(closed, qPrintable(closedMessage));
        QVERIFY2(closedMessage.startsWith(QStringLiteral("Closed ")), qPrintable(closedMessage));
        QVERIFY(socket.waitClosed());
        QCOMPARE(m_server->get(QStringLiteral("/api/me"), m_dave.token).status, 200);

        const auto [revoked, revokedMessage] =
            perform([&](auto done) { return console().revokeTokens(m_dave.user.id, done); });
        QVERIFY2(revoked, qPrintable(revokedMessage));
        QVERIFY2(revokedMessage.startsWith(QStringLiteral("Revoked 1 token of Dave")),
                 qPrintable(revokedMessage));
        QCOMPARE(m_questions.size(), 2);
        QCOMPARE(m_server->get(QStringLiteral("/api/me"), m_dave.token).status, 401);
        QTRY_COMPARE(cell(*console().users(), m_dave.user.id, admin::UserTableModel::TokensColumn),
                     QStringLiteral("0"));
    }

    void failedJobsRetryAndDelete()
    {
        for (qint64 escrow : {987001, 987002, 987003})
            queueFailingJob(escrow);
        // The worker fails them on their only attempt.
        QTRY_COMPARE_WITH_TIMEOUT(console().stats()->value(admin::StatsModel::FailedJobs), 3.0,
                                  Timeout);
        QVERIFY(console().stats()->isAlert(admin::StatsModel::FailedJobs));
        m_server->app().worker().stop(); // what is queued again now stays in the queue
        QVERIFY(reload(AdminConsole::Table::Jobs));
        admin::FailedJobTableModel &failed = *console().failedJobs();
        admin::PendingJobTableModel &pending = *console().pendingJobs();
        QCOMPARE(failed.rowCount(), 3);
        QHash<qint64, qint64> byEscrow; // escrow id in the payload -> failed job id
        for (int row = 0; row < failed.rowCount(); ++row) {
            const QJsonObject job = failed.objectAt(row);
            byEscrow.insert(job.value(QLatin1String("payload"))
                                .toObject()
                                .value(QLatin1String("escrow_id"))
                                .toInteger(),
                            idOf(job));
        }
        const qint64 first = byEscrow.value(987001), third = byEscrow.value(987003);
        QVERIFY(first > 0 && third > 0);
        QCOMPARE(cell(failed, first, admin::FailedJobTableModel::TypeColumn),
                 server::EscrowService::PayoutJob);
        QCOMPARE(cell(failed, first, admin::FailedJobTableModel::ErrorColumn),
                 QStringLiteral("escrow 987001 does not exist"));
        QCOMPARE(cell(failed, first, admin::FailedJobTableModel::PayloadColumn),
                 QStringLiteral(R"({"escrow_id":987001})"));
        QCOMPARE(cell(failed, first, admin::FailedJobTableModel::AttemptsColumn),
                 QStringLiteral("1"));

        // Retry: back in the queue, ready, with fresh attempts; nothing to confirm.
        const auto [retried, retryMessage] =
            perform([&](auto done) { return console().retryFailedJob(first, done); });
        QVERIFY2(retried, qPrintable(retryMessage));
        QCOMPARE(failed.rowOfId(first), -1);
        QTRY_COMPARE(pending.rowCount(), 1);
        const qint64 queued = idOf(pending.objectAt(0));
        QCOMPARE(cell(pending, queued, admin::PendingJobTableModel::StateColumn),
                 QStringLiteral("Ready"));
        QCOMPARE(cell(pending, queued, admin::PendingJobTableModel::AttemptsColumn),
                 QStringLiteral("0 / 3"));
        QCOMPARE(m_questions.size(), 0);
        QTRY_COMPARE(console().stats()->value(admin::StatsModel::QueueReady), 1.0);

        // Delete the pending job: asked first; declined, nothing happens.
        m_answer = false;
        QVERIFY(!console().deletePendingJob(queued));
        QCOMPARE(m_questions.size(), 1);
        m_answer = true;
        const auto [deleted, deleteMessage] =
            perform([&](auto done) { return console().deletePendingJob(queued, done); });
        QVERIFY2(deleted, qPrintable(deleteMessage));
        QCOMPARE(pending.rowCount(), 0);

        // Delete a failed job for good.
        const auto [gone, goneMessage] =
            perform([&](auto done) { return console().deleteFailedJob(third, done); });
        QVERIFY2(gone, qPrintable(goneMessage));
        QVERIFY(m_questions.last().contains(QStringLiteral("#%1").arg(third)));
        QCOMPARE(failed.rowCount(), 1);

        // Retry all: the one left goes back to the queue.
        const auto [all, allMessage] =
            perform([&](auto done) { return console().retryAllFailedJobs(done); });
        QVERIFY2(all, qPrintable(allMessage));
        QCOMPARE(allMessage, QStringLiteral("1 failed job queued again."));
        QTRY_COMPARE(pending.rowCount(), 1);
        QTRY_COMPARE(failed.rowCount(), 0);
        QTRY_COMPARE(console().stats()->value(admin::StatsModel::FailedJobs), 0.0);
        QVERIFY(perform([&](auto done) {
                    return console().deletePendingJob(idOf(pending.objectAt(0)), done);
                }).first);
        m_server->app().worker().start();
    }

    void disputedEscrowsResolve()
    {
        qint64 firstDomain = 0, secondDomain = 0;
        QString firstName, secondName;
        const qint64 released = disputedEscrow(5000, &firstDomain, &firstName);
        const qint64 refunded = disputedEscrow(123456, &secondDomain, &secondName);
        QVERIFY(released > 0 && refunded > 0);
        QVERIFY(reload(AdminConsole::Table::Escrows));
        admin::EscrowTableModel &escrows = *console().escrows();
        QCOMPARE(escrows.rowCount(), 2);
        QCOMPARE(cell(escrows, refunded, admin::EscrowTableModel::AmountColumn),
                 QStringLiteral("$1,234.56"));
        // Names come in after the ids: the domain from GET /api/domains, users from the list.
        QTRY_COMPARE(cell(escrows, released, admin::EscrowTableModel::DomainColumn), firstName);
        QTRY_COMPARE(cell(escrows, released, admin::EscrowTableModel::BuyerColumn),
                     QStringLiteral("Bob"));
        QCOMPARE(cell(escrows, released, admin::EscrowTableModel::SellerColumn),
                 QStringLiteral("Alice"));
        QTRY_COMPARE(console().stats()->value(admin::StatsModel::DisputedEscrows), 2.0);

        // A reason is required; nothing is sent without one.
        QSignalSpy failed(&console(), &AdminConsole::actionFailed);
        QVERIFY(!console().resolveEscrow(released, AdminConsole::Outcome::Release,
                                         QStringLiteral("   ")));
        QCOMPARE(failed.size(), 1);
        QCOMPARE(m_questions.size(), 0);

        const auto [ok, message] = perform([&](auto done) {
            return console().resolveEscrow(released, AdminConsole::Outcome::Release,
                                           QStringLiteral("The seller proved the transfer."), done);
        });
        QVERIFY2(ok, qPrintable(message));
        QVERIFY2(m_questions.first().contains(firstName), qPrintable(m_questions.first()));
        QCOMPARE(escrows.rowOfId(released), -1);
        const testing::Reply seen =
            m_server->get(QStringLiteral("/api/escrows/%1").arg(released), m_bob.token);
        QCOMPARE(seen.json.value(QLatin1String("escrow"))
                     .toObject()
                     .value(QLatin1String("status"))
                     .toString(),
                 QStringLiteral("completed"));

        const auto [refundOk, refundMessage] = perform([&](auto done) {
            return console().resolveEscrow(refunded, AdminConsole::Outcome::Refund,
                                           QStringLiteral("Never transferred."), done);
        });
        QVERIFY2(refundOk, qPrintable(refundMessage));
        QCOMPARE(m_server->get(QStringLiteral("/api/escrows/%1").arg(refunded), m_bob.token)
                     .json.value(QLatin1String("escrow"))
                     .toObject()
                     .value(QLatin1String("status"))
                     .toString(),
                 QStringLiteral("refunded"));
        QTRY_COMPARE(escrows.rowCount(), 0);

        // Resolving it again: the server's 409 reaches the UI.
        const auto [again, againError] = perform([&](auto done) {
            return console().resolveEscrow(refunded, AdminConsole::Outcome::Release,
                                           QStringLiteral("Changed my mind."), done);
        });
        QVERIFY(!again);
        QVERIFY(!againError.isEmpty());
        QCOMPARE(failed.last().at(0).toString(), QStringLiteral("Release escrow"));
    }

    void auctionsExtendAndCancel()
    {
        const QString name = nextDomain();
        const qint64 endsAt = protocol::nowMs() + 3600 * 1000;
        const testing::Reply created =
            m_server->post(QStringLiteral("/api/domains"),
                           {{QLatin1String("name"), name},
                            {QLatin1String("enable_bidding"), true},
                            {QLatin1String("min_increment_cents"), 100},
                            {QLatin1String("ends_at"), protocol::isoUtc(endsAt)}},
                           m_alice.token);
        QCOMPARE(created.status, 201);
        const qint64 domain = idOf(created.json.value(QLatin1String("domain")).toObject());
        QCOMPARE(m_server
                     ->post(QStringLiteral("/api/domains/%1/bids").arg(domain),
                            {{QLatin1String("amount_cents"), 250000}}, m_bob.token)
                     .status,
                 201);
        QVERIFY(reload(AdminConsole::Table::Auctions));
        admin::AuctionTableModel &auctions = *console().auctions();
        QVERIFY(auctions.rowOfId(domain) >= 0);
        QCOMPARE(cell(auctions, domain, admin::AuctionTableModel::DomainColumn), name);
        QCOMPARE(cell(auctions, domain, admin::AuctionTableModel::CurrentBidColumn),
                 QStringLiteral("$2,500.00"));
        QTRY_COMPARE(cell(auctions, domain, admin::AuctionTableModel::HighBidderColumn),
                     QStringLiteral("Bob"));
        QCOMPARE(cell(auctions, domain, admin::AuctionTableModel::OwnerColumn),
                 QStringLiteral("Alice"));
        QVERIFY2(cell(auctions, domain, admin::AuctionTableModel::TimeLeftColumn)
                     .startsWith(QStringLiteral("in ")),
                 qPrintable(cell(auctions, domain, admin::AuctionTableModel::TimeLeftColumn)));

        const auto [extended, extendMessage] =
            perform([&](auto done) { return console().extendAuction(domain, 600, done); });
        QVERIFY2(extended, qPrintable(extendMessage));
        QCOMPARE(m_questions.size(), 0); // extending destroys nothing
        const qint64 newEnd =
            admin::format::epochMs(auctions.objectWithId(domain).value(QLatin1String("ends_at")));
        QVERIFY2(newEnd >= endsAt + 600 * 1000 - 1000 && newEnd <= endsAt + 600 * 1000 + 1000,
                 qPrintable(QString::number(newEnd - endsAt)));
        QVERIFY(!console().extendAuction(domain, 0));

        QVERIFY(!console().cancelAuction(domain, QString()));
        const auto [cancelled, cancelMessage] = perform([&](auto done) {
            return console().cancelAuction(domain, QStringLiteral("Listing broke the rules."),
                                           done);
        });
        QVERIFY2(cancelled, qPrintable(cancelMessage));
        QCOMPARE(m_questions.size(), 1);
        QVERIFY(m_questions.first().contains(name));
        QCOMPARE(auctions.rowOfId(domain), -1);
        QCOMPARE(m_server->get(QStringLiteral("/api/domains/%1").arg(domain), m_alice.token)
                     .json.value(QLatin1String("domain"))
                     .toObject()
                     .value(QLatin1String("status"))
                     .toString(),
                 QStringLiteral("cancelled"));
    }

    void announcement()
    {
        QSignalSpy sent(&console(), &AdminConsole::announcementSent);
        QVERIFY(!console().announce(QStringLiteral("Title"), QStringLiteral("  ")));
        const auto [ok, message] = perform([&](auto done) {
            return console().announce(QStringLiteral("Maintenance tonight"),
                                      QStringLiteral("Read-only from 02:00 to 02:30 UTC."), done);
        });
        QVERIFY2(ok, qPrintable(message));
        QCOMPARE(sent.size(), 1);
        // Everyone who is not banned: the five accounts (Carol was unbanned again).
        QCOMPARE(sent.first().first().toInt(), 5);
        QCOMPARE(message, QStringLiteral("The announcement reached 5 users."));
        QCOMPARE(m_questions.size(), 1);
        const testing::Reply inbox =
            m_server->get(QStringLiteral("/api/notifications?limit=10"), m_bob.token);
        bool found = false;
        for (const QJsonValue &value : inbox.json.value(QLatin1String("data")).toArray()) {
            const QJsonObject note = value.toObject();
            if (note.value(QLatin1String("type")).toString() == QLatin1String("announcement") &&
                note.value(QLatin1String("data")).toObject().value(QLatin1String("title")) ==
                    QLatin1String("Maintenance tonight"))
                found = true;
        }
        QVERIFY(found);
    }

    void toolActions()
    {
        // The tools own their actions: the same requests, without the console's shortcuts.
        QVERIFY(reload(AdminConsole::Table::Users));
        admin::UsersToolModel &users = *console().users();
        const auto [banned, banMessage] =
            perform([&](auto done) { return users.ban(m_carol.user.id, done); });
        QVERIFY2(banned, qPrintable(banMessage));
        QVERIFY(admin::UserTableModel::isBanned(users.objectWithId(m_carol.user.id)));
        const auto [unbanned, unbanMessage] =
            perform([&](auto done) { return users.unban(m_carol.user.id, done); });
        QVERIFY2(unbanned, qPrintable(unbanMessage));
        QVERIFY(!admin::UserTableModel::isBanned(users.objectWithId(m_carol.user.id)));
        const auto [closed, closedMessage] =
            perform([&](auto done) { return users.terminateConnections(m_carol.user.id, done); });
        QVERIFY2(closed, qPrintable(closedMessage));
        QCOMPARE(closedMessage,
                 QStringLiteral("Closed 0 connections of Carol <%1>.").arg(m_carol.user.email));
        const auto [revoked, revokedMessage] =
            perform([&](auto done) { return users.revokeTokens(m_dave.user.id, done); });
        QVERIFY2(revoked, qPrintable(revokedMessage));
        QVERIFY2(revokedMessage.startsWith(QStringLiteral("Revoked 0 tokens of Dave")),
                 qPrintable(revokedMessage));

        // Escrows and auctions: bad input is refused before a request; an unknown id gets the
        // server's error.
        admin::EscrowsToolModel &escrows = *console().escrows();
        QVERIFY(!escrows.resolve(1, admin::EscrowsToolModel::Outcome::Refund, QStringLiteral(" ")));
        const auto [resolved, resolveError] = perform([&](auto done) {
            return escrows.resolve(99999999, admin::EscrowsToolModel::Outcome::Release,
                                   QStringLiteral("Checked."), done);
        });
        QVERIFY(!resolved);
        QVERIFY(!resolveError.isEmpty() && !resolveError.startsWith(QLatin1Char('<')));
        admin::AuctionsToolModel &auctions = *console().auctions();
        QVERIFY(!auctions.extend(1, 0));
        QVERIFY(!auctions.cancel(1, QStringLiteral("  ")));
        const auto [extended, extendError] =
            perform([&](auto done) { return auctions.extend(99999999, 60, done); });
        QVERIFY(!extended);
        QVERIFY(!extendError.startsWith(QLatin1Char('<')));
        const auto [cancelled, cancelError] = perform(
            [&](auto done) { return auctions.cancel(99999999, QStringLiteral("Rules."), done); });
        QVERIFY(!cancelled);
        QVERIFY(!cancelError.startsWith(QLatin1Char('<')));

        // Jobs: nothing has failed, so retry-all queues none; the single-job actions answer.
        const auto [all, allMessage] =
            perform([&](auto done) { return console().failedJobs()->retryAll(done); });
        QVERIFY2(all, qPrintable(allMessage));
        QCOMPARE(allMessage, QStringLiteral("0 failed jobs queued again."));
        for (const auto &start : std::initializer_list<std::function<bool(AdminConsole::Done)>>{
                 [&](auto done) { return console().failedJobs()->retry(99999999, done); },
                 [&](auto done) { return console().failedJobs()->remove(99999999, done); },
                 [&](auto done) { return console().pendingJobs()->remove(99999999, done); }}) {
            const auto [ok, message] = perform(start);
            QVERIFY2(!message.startsWith(QLatin1Char('<')), qPrintable(message));
        }

        // The announcement tool is loading while it sends.
        admin::AnnouncementTool &announcements = *console().announcements();
        QSignalSpy loading(&announcements, &admin::AnnouncementTool::loadingChanged);
        QSignalSpy sent(&announcements, &admin::AnnouncementTool::sent);
        QVERIFY(!announcements.send(QStringLiteral(" "), QStringLiteral("Body")));
        bool wasLoading = false;
        const auto [announced, announceMessage] = perform([&](auto done) {
            const bool started = announcements.send(QStringLiteral("Tool check"),
                                                    QStringLiteral("Sent by the tool."), done);
            wasLoading = announcements.isLoading();
            return started;
        });
        QVERIFY2(announced, qPrintable(announceMessage));
        QVERIFY(wasLoading);
        QVERIFY(!announcements.isLoading());
        QCOMPARE(loading.size(), 2);
        QCOMPARE(sent.size(), 1);
        QVERIFY(announcements.errorString().isEmpty());
    }

    void demotedAdministratorIsSignedOut()
    {
        // A second administrator signs in, then loses the role: the next poll gets 403.
        const auto second = m_server->app().accounts().createUserBlocking(
            QStringLiteral("Temp Admin"), QStringLiteral("temp-admin@test.flippdeal.test"),
            Password, QStringLiteral("admin"));
        QVERIFY(second);
        QTemporaryDir dir;
        QSettings settings(dir.filePath(QStringLiteral("temp.ini")), QSettings::IniFormat);
        AdminConsole temp(settings, m_service + QStringLiteral("-temp"));
        temp.setPollInterval(200);
        temp.signIn(address(), second->email, Password);
        QTRY_COMPARE_WITH_TIMEOUT(temp.status(), AdminConsole::Status::SignedIn, AuthTimeoutMs);
        QTRY_VERIFY(temp.stats()->isLoaded());
        QSignalSpy signedOut(&temp, &AdminConsole::signedOut);
        QVERIFY(testing::sqlExec(m_server->app().database(),
                                 QStringLiteral("UPDATE users SET role = 'user' WHERE id = ?"),
                                 {second->id}));
        QTRY_COMPARE(temp.status(), AdminConsole::Status::SignedOut);
        QCOMPARE(signedOut.size(), 1);
        QCOMPARE(temp.errorString(), AdminConsole::notAdministratorMessage());
        QVERIFY(!temp.stats()->isLoaded());
        QTest::qWait(300); // the logout request
    }

    void restoreAndSignOut()
    {
        // A second console on the same settings and keychain restores the session.
        {
            AdminConsole restored(*m_settings, m_service);
            restored.restore();
            QTRY_COMPARE_WITH_TIMEOUT(restored.status(), AdminConsole::Status::SignedIn, Timeout);
            QCOMPARE(restored.adminName(), QStringLiteral("Ops Admin"));
            QTRY_VERIFY(restored.stats()->isLoaded());
        }
        QSignalSpy signedOut(&console(), &AdminConsole::signedOut);
        console().signOut();
        QCOMPARE(signedOut.size(), 1);
        QCOMPARE(console().status(), AdminConsole::Status::SignedOut);
        QCOMPARE(console().users()->rowCount(), 0);
        QCOMPARE(console().auctions()->rowCount(), 0);
        QVERIFY(!console().stats()->isLoaded());
        QVERIFY(!console().banUser(m_bob.user.id));
        QTest::qWait(300); // the logout request
    }
};

QTEST_MAIN(TestAdminModels)
#include "tst_adminmodels.moc"

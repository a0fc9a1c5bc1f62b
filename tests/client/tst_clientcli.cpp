// SPDX-License-Identifier: MIT
// The command lines of flippdeal-desktop and flippdeal-admin: bad input is one line on stderr
// and exit code 2, --help and --version work even without a display.
#include <QProcess>
#include <QtTest>

class TestClientCli : public QObject
{
    Q_OBJECT

    struct Run
    {
        int exitCode = -1;
        QByteArray out;
        QByteArray err;
    };

    static Run run(const QString &binary, const QStringList &args, bool display)
    {
        QProcess process;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.remove(QStringLiteral("DISPLAY"));
        env.remove(QStringLiteral("WAYLAND_DISPLAY"));
        env.remove(QStringLiteral("QT_QPA_PLATFORM"));
        if (display)
            env.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
        env.insert(QStringLiteral("XDG_RUNTIME_DIR"), QDir::tempPath());
        process.setProcessEnvironment(env);
        process.start(binary, args);
        if (!process.waitForFinished(20000))
            process.kill();
        return {process.exitCode(), process.readAllStandardOutput(),
                process.readAllStandardError()};
    }

    static QByteArrayList lines(const QByteArray &text)
    {
        QByteArrayList result;
        for (const QByteArray &line : text.split('\n'))
            if (!line.trimmed().isEmpty() && !line.startsWith("QStandardPaths"))
                result.append(line);
        return result;
    }

private Q_SLOTS:
    void badInput_data()
    {
        QTest::addColumn<QString>("binary");
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QByteArray>("message");
        const QString desktop = QStringLiteral(FLIPPDEAL_DESKTOP_BINARY);
        const QString admin = QStringLiteral(FLIPPDEAL_ADMIN_BINARY);
        for (const QString &binary : {desktop, admin}) {
            const QByteArray name = QFileInfo(binary).fileName().toUtf8();
            QTest::addRow("%s: stray argument", name.constData())
                << binary << QStringList{QStringLiteral("x")} << QByteArray("unexpected argument");
            QTest::addRow("%s: ftp server", name.constData())
                << binary << QStringList{QStringLiteral("--server"), QStringLiteral("ftp://x")}
                << QByteArray("--server must be");
            QTest::addRow("%s: email alone", name.constData())
                << binary << QStringList{QStringLiteral("--email"), QStringLiteral("a@b.c")}
                << QByteArray("go together");
            QTest::addRow("%s: bad size", name.constData())
                << binary << QStringList{QStringLiteral("--size"), QStringLiteral("huge")}
                << QByteArray("--size must");
            QTest::addRow("%s: bad profile", name.constData())
                << binary << QStringList{QStringLiteral("--profile"), QStringLiteral("../x")}
                << QByteArray("--profile may");
            QTest::addRow("%s: unknown option", name.constData())
                << binary << QStringList{QStringLiteral("--nope")} << QByteArray("nope");
        }
        QTest::addRow("desktop: bad colour scheme")
            << desktop << QStringList{QStringLiteral("--color-scheme"), QStringLiteral("pink")}
            << QByteArray("--color-scheme must");
        QTest::addRow("admin: bad poll interval")
            << admin << QStringList{QStringLiteral("--poll-interval"), QStringLiteral("5")}
            << QByteArray("--poll-interval must");
    }

    void badInput()
    {
        QFETCH(QString, binary);
        QFETCH(QStringList, args);
        QFETCH(QByteArray, message);
        const Run result = run(binary, args, true);
        QCOMPARE(result.exitCode, 2);
        const QByteArrayList errorLines = lines(result.err);
        QCOMPARE(errorLines.size(), 1);
        QVERIFY2(errorLines.first().contains(message), errorLines.first().constData());
    }

    void withoutDisplay()
    {
        for (const QString &binary :
             {QStringLiteral(FLIPPDEAL_DESKTOP_BINARY), QStringLiteral(FLIPPDEAL_ADMIN_BINARY)}) {
            const Run version = run(binary, {QStringLiteral("--version")}, false);
            QCOMPARE(version.exitCode, 0);
            QVERIFY(version.out.contains("0."));
            const Run help = run(binary, {QStringLiteral("--help")}, false);
            QCOMPARE(help.exitCode, 0);
            QVERIFY(help.out.contains("--server"));
            const Run start = run(binary, {}, false);
            QCOMPARE(start.exitCode, 2);
            QCOMPARE(lines(start.err).size(), 1);
            QVERIFY(start.err.contains("no display"));
        }
    }
};

QTEST_GUILESS_MAIN(TestClientCli)
#include "tst_clientcli.moc"

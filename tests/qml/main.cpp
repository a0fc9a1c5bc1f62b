// SPDX-License-Identifier: MIT
// tst_qml: runs every tst_*.qml in tests/qml against the statically linked FlippDeal.* modules,
// with the real client core: the singleton Fixture (FlippDeal.Test) runs a real flippdeal-server
// in this process and hands the tests real, signed-in desktop clients.
#include "fixture.h"

#include <QQmlEngine>
#include <QQmlExtensionPlugin>
#include <QQuickStyle>
#include <QtQuickTest/quicktest.h>

#include <memory>

Q_IMPORT_QML_PLUGIN(FlippDeal_CorePlugin)
Q_IMPORT_QML_PLUGIN(FlippDeal_StylePlugin)
Q_IMPORT_QML_PLUGIN(FlippDeal_SessionPlugin)
Q_IMPORT_QML_PLUGIN(FlippDeal_ChatPlugin)
Q_IMPORT_QML_PLUGIN(FlippDeal_NotificationsPlugin)
Q_IMPORT_QML_PLUGIN(FlippDeal_AuctionPlugin)

class Setup : public QObject
{
    Q_OBJECT

public Q_SLOTS:
    void applicationAvailable()
    {
        // The components are written against the Basic style (custom backgrounds, palettes).
        QQuickStyle::setStyle(QStringLiteral("Basic"));
        m_fixture = std::make_unique<flippdeal::testing::Fixture>();
        if (!m_fixture->isReady())
            qFatal("tst_qml: the test server did not start: %s",
                   qPrintable(m_fixture->errorString()));
    }

    void qmlEngineAvailable(QQmlEngine *engine)
    {
        engine->addImportPath(QStringLiteral("qrc:/")); // qrc:/FlippDeal/<Name>/qmldir
        // One fixture for every test file (each has an engine of its own); each test starts
        // with Fixture.reset().
        if (!m_registered) {
            QJSEngine::setObjectOwnership(m_fixture.get(), QJSEngine::CppOwnership);
            qmlRegisterSingletonInstance("FlippDeal.Test", 1, 0, "Fixture", m_fixture.get());
            m_registered = true;
        }
    }

    void cleanupTestCase() { m_fixture.reset(); }

private:
    std::unique_ptr<flippdeal::testing::Fixture> m_fixture;
    bool m_registered = false;
};

QUICK_TEST_MAIN_WITH_SETUP(tst_qml, Setup)

#include "main.moc"

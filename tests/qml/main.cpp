// SPDX-License-Identifier: MIT
// tst_qml: runs every tst_*.qml in tests/qml against the statically linked FlippDeal.* modules.
#include <QQmlEngine>
#include <QQmlExtensionPlugin>
#include <QQuickStyle>
#include <QtQuickTest/quicktest.h>

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
    }

    void qmlEngineAvailable(QQmlEngine *engine)
    {
        engine->addImportPath(QStringLiteral("qrc:/")); // qrc:/FlippDeal/<Name>/qmldir
    }
};

QUICK_TEST_MAIN_WITH_SETUP(tst_qml, Setup)

#include "main.moc"

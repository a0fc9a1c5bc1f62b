// SPDX-License-Identifier: MIT
#include "testserver.h"

#include <QtTest>

class Test_notifications : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void placeholder() {}
};

QTEST_GUILESS_MAIN(Test_notifications)
#include "tst_notifications.moc"

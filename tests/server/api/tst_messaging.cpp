// SPDX-License-Identifier: MIT
#include "testserver.h"

#include <QtTest>

class Test_messaging : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void placeholder() {}
};

QTEST_GUILESS_MAIN(Test_messaging)
#include "tst_messaging.moc"

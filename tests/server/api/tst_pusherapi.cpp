// SPDX-License-Identifier: MIT
#include "testserver.h"

#include <QtTest>

class Test_pusherapi : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void placeholder() {}
};

QTEST_GUILESS_MAIN(Test_pusherapi)
#include "tst_pusherapi.moc"

// SPDX-License-Identifier: MIT
#include "testserver.h"

#include <QtTest>

class Test_history : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void placeholder() {}
};

QTEST_GUILESS_MAIN(Test_history)
#include "tst_history.moc"

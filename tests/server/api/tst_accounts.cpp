// SPDX-License-Identifier: MIT
#include "testserver.h"

#include <QtTest>

class Test_accounts : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void placeholder() {}
};

QTEST_GUILESS_MAIN(Test_accounts)
#include "tst_accounts.moc"

// SPDX-License-Identifier: MIT
#include <QtTest>

class TestStub : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void notWrittenYet() { QFAIL("not written yet"); }
};

QTEST_GUILESS_MAIN(TestStub)
#include "tst_appcontext.moc"

// SPDX-License-Identifier: MIT
// RecordListModel on its own (no server): keyed upserts, insertion positions, removal, reset
// and the count, with QAbstractItemModelTester watching every change.
#include "recordlistmodel.h"

#include <QAbstractItemModelTester>
#include <QSignalSpy>
#include <QtTest>

using namespace flippdeal;
using client::RecordListModel;

namespace {

QVariantMap record(qint64 id, const QString &name, int score = 0)
{
    return {{QStringLiteral("id"), id},
            {QStringLiteral("name"), name},
            {QStringLiteral("score"), score}};
}

//! The `name` of every row, top to bottom.
QStringList names(const RecordListModel &model)
{
    QStringList list;
    for (int row = 0; row < model.rowCount(); ++row)
        list.append(model.get(row).value(QStringLiteral("name")).toString());
    return list;
}

} // namespace

class TestRecordListModel : public QObject
{
    Q_OBJECT

    std::unique_ptr<RecordListModel> m_model;
    std::unique_ptr<QAbstractItemModelTester> m_tester;

    static constexpr int IdRole = Qt::UserRole;
    static constexpr int NameRole = Qt::UserRole + 1;
    static constexpr int ScoreRole = Qt::UserRole + 2;

private Q_SLOTS:
    void init()
    {
        m_model = std::make_unique<RecordListModel>(QList<QByteArray>{"id", "name", "score"}, "id");
        m_tester = std::make_unique<QAbstractItemModelTester>(
            m_model.get(), QAbstractItemModelTester::FailureReportingMode::QtTest);
    }

    void cleanup()
    {
        m_tester.reset();
        m_model.reset();
    }

    void rolesAreTheFields()
    {
        const QHash<int, QByteArray> roles = m_model->roleNames();
        QCOMPARE(roles.size(), 3);
        QCOMPARE(roles.value(IdRole), QByteArray("id"));
        QCOMPARE(roles.value(NameRole), QByteArray("name"));
        QCOMPARE(roles.value(ScoreRole), QByteArray("score"));
        QCOMPARE(m_model->rowCount(), 0);
        QCOMPARE(m_model->count(), 0);
    }

    void upsertAppendsAndInsertsAtAPosition()
    {
        QSignalSpy count(m_model.get(), &RecordListModel::countChanged);
        QSignalSpy inserted(m_model.get(), &QAbstractItemModel::rowsInserted);
        m_model->upsert(record(1, QStringLiteral("one")));
        m_model->upsert(record(2, QStringLiteral("two")));
        QCOMPARE(names(*m_model), (QStringList{QStringLiteral("one"), QStringLiteral("two")}));
        m_model->upsert(record(3, QStringLiteral("three")), 0); // at the top
        m_model->upsert(record(4, QStringLiteral("four")), 2);  // in the middle
        m_model->upsert(record(5, QStringLiteral("five")), 99); // past the end: appended
        m_model->upsert(record(6, QStringLiteral("six")), -1);  // -1: appended
        QCOMPARE(names(*m_model), (QStringList{QStringLiteral("three"), QStringLiteral("one"),
                                               QStringLiteral("four"), QStringLiteral("two"),
                                               QStringLiteral("five"), QStringLiteral("six")}));
        QCOMPARE(m_model->count(), 6);
        QCOMPARE(m_model->rowCount(), 6);
        QCOMPARE(count.size(), 6);
        QCOMPARE(inserted.size(), 6);
        // rowsInserted(parent, first, last) told the views where each row went.
        QCOMPARE(inserted.at(2).at(1).toInt(), 0);
        QCOMPARE(inserted.at(3).at(1).toInt(), 2);
        QCOMPARE(inserted.at(4).at(1).toInt(), 4);
    }

    void upsertReplacesTheRowWithTheSameKey()
    {
        m_model->upsert(record(1, QStringLiteral("one"), 10));
        m_model->upsert(record(2, QStringLiteral("two"), 20));
        QSignalSpy count(m_model.get(), &RecordListModel::countChanged);
        QSignalSpy inserted(m_model.get(), &QAbstractItemModel::rowsInserted);
        QSignalSpy changed(m_model.get(), &QAbstractItemModel::dataChanged);
        // A position is ignored for an existing key: the row stays where it is.
        m_model->upsert(record(2, QStringLiteral("deux"), 22), 0);
        QCOMPARE(names(*m_model), (QStringList{QStringLiteral("one"), QStringLiteral("deux")}));
        QCOMPARE(m_model->index(1).data(ScoreRole).toInt(), 22);
        QCOMPARE(m_model->count(), 2);
        QCOMPARE(count.size(), 0);
        QCOMPARE(inserted.size(), 0);
        QCOMPARE(changed.size(), 1);
        QCOMPARE(changed.first().at(0).toModelIndex().row(), 1);
        QCOMPARE(changed.first().at(1).toModelIndex().row(), 1);
    }

    void dataReadsTheFields()
    {
        m_model->upsert(record(7, QStringLiteral("seven"), 70));
        const QModelIndex index = m_model->index(0);
        QCOMPARE(index.data(IdRole).toLongLong(), 7);
        QCOMPARE(index.data(NameRole).toString(), QStringLiteral("seven"));
        QCOMPARE(index.data(ScoreRole).toInt(), 70);
        QCOMPARE(index.data(Qt::DisplayRole).toLongLong(), 7); // the first field
        QVERIFY(!index.data(Qt::UserRole + 3).isValid());      // no such field
        QVERIFY(!index.data(Qt::DecorationRole).isValid());
        // A field the record lacks reads as invalid rather than failing.
        m_model->upsert({{QStringLiteral("id"), 8}});
        QVERIFY(!m_model->index(1).data(NameRole).isValid());
    }

    void indexOfKeyAndGet()
    {
        m_model->upsert(record(1, QStringLiteral("one")));
        m_model->upsert(record(2, QStringLiteral("two")));
        m_model->upsert(record(3, QStringLiteral("three")), 0);
        QCOMPARE(m_model->indexOfKey(3), 0);
        QCOMPARE(m_model->indexOfKey(1), 1);
        QCOMPARE(m_model->indexOfKey(2), 2);
        QCOMPARE(m_model->indexOfKey(Q_INT64_C(2)), 2); // numeric keys compare by value
        QCOMPARE(m_model->indexOfKey(42), -1);
        QCOMPARE(m_model->get(2), record(2, QStringLiteral("two")));
        QVERIFY(m_model->get(3).isEmpty());
        QVERIFY(m_model->get(-1).isEmpty());
    }

    void removeKey()
    {
        for (int i = 1; i <= 4; ++i)
            m_model->upsert(record(i, QString::number(i)));
        QSignalSpy count(m_model.get(), &RecordListModel::countChanged);
        QSignalSpy removed(m_model.get(), &QAbstractItemModel::rowsRemoved);
        m_model->removeKey(2);
        QCOMPARE(names(*m_model),
                 (QStringList{QStringLiteral("1"), QStringLiteral("3"), QStringLiteral("4")}));
        QCOMPARE(removed.size(), 1);
        QCOMPARE(removed.first().at(1).toInt(), 1);
        QCOMPARE(count.size(), 1);
        QCOMPARE(m_model->indexOfKey(2), -1);
        QCOMPARE(m_model->indexOfKey(3), 1);

        m_model->removeKey(99); // unknown: nothing happens
        QCOMPARE(removed.size(), 1);
        QCOMPARE(count.size(), 1);
        QCOMPARE(m_model->count(), 3);

        m_model->removeKey(1);
        m_model->removeKey(4);
        m_model->removeKey(3);
        QCOMPARE(m_model->count(), 0);
        QCOMPARE(count.size(), 4);
    }

    void resetReplacesEverything()
    {
        m_model->upsert(record(1, QStringLiteral("one")));
        QSignalSpy count(m_model.get(), &RecordListModel::countChanged);
        QSignalSpy reset(m_model.get(), &QAbstractItemModel::modelReset);
        m_model->reset({record(5, QStringLiteral("five")), record(6, QStringLiteral("six"))});
        QCOMPARE(names(*m_model), (QStringList{QStringLiteral("five"), QStringLiteral("six")}));
        QCOMPARE(reset.size(), 1);
        QCOMPARE(count.size(), 1);
        QCOMPARE(m_model->indexOfKey(1), -1);
        QCOMPARE(m_model->indexOfKey(6), 1);

        // Same size: the rows change, the count does not.
        m_model->reset({record(7, QStringLiteral("seven")), record(8, QStringLiteral("eight"))});
        QCOMPARE(reset.size(), 2);
        QCOMPARE(count.size(), 1);
        QCOMPARE(names(*m_model), (QStringList{QStringLiteral("seven"), QStringLiteral("eight")}));

        m_model->clear();
        QCOMPARE(m_model->count(), 0);
        QCOMPARE(reset.size(), 3);
        QCOMPARE(count.size(), 2);
        m_model->clear(); // already empty: no count change
        QCOMPARE(count.size(), 2);
    }

    void setFieldWhereChangesOnlyWhatDiffers()
    {
        for (int i = 1; i <= 3; ++i)
            m_model->upsert(record(i, QString::number(i), i));
        QSignalSpy changed(m_model.get(), &QAbstractItemModel::dataChanged);
        const auto even = [](const QVariantMap &row) {
            return QVariant(row.value(QStringLiteral("id")).toInt() % 2 == 0 ? 1 : 0);
        };
        m_model->setFieldWhere("score", even);
        // Row 0 (id 1, score 1 → 0), row 1 (id 2, score 2 → 1), row 2 (id 3, score 3 → 0).
        QCOMPARE(changed.size(), 3);
        QCOMPARE(m_model->index(0).data(ScoreRole).toInt(), 0);
        QCOMPARE(m_model->index(1).data(ScoreRole).toInt(), 1);
        QCOMPARE(m_model->index(2).data(ScoreRole).toInt(), 0);
        m_model->setFieldWhere("score", even); // nothing differs now
        QCOMPARE(changed.size(), 3);
        QCOMPARE(m_model->count(), 3);
    }
};

QTEST_GUILESS_MAIN(TestRecordListModel)
#include "tst_recordlistmodel.moc"

// SPDX-License-Identifier: MIT
#pragma once

#include <QColor>
#include <QList>
#include <QWidget>

class QPainter;

namespace flippdeal::admin {

//! \brief A small line chart of the last values of one figure (the dashboard's connections and
//! events per second), painted with QPainter: a filled line, the last value, and the range.
class Sparkline : public QWidget
{
    Q_OBJECT

public:
    explicit Sparkline(const QString &title, QWidget *parent = nullptr);

    void setValues(const QList<double> &values);
    QList<double> values() const { return m_values; }
    void setColor(const QColor &color);
    //! Decimals of the numbers written on the chart.
    void setDecimals(int decimals) { m_decimals = decimals; }
    //! The span the values cover, for the caption (`last 2 min`).
    void setSpanText(const QString &text);

    QSize sizeHint() const override { return {360, 140}; }
    QSize minimumSizeHint() const override { return {160, 90}; }

protected:
    void paintEvent(QPaintEvent *event) override;

private:
    //! Draws the title and the last value; returns the rectangle left for the chart.
    QRectF paintCaption(QPainter &painter, const QRectF &frame) const;
    //! Draws the footer, the grid and the line of the values (at least two).
    void paintChart(QPainter &painter, const QRectF &chart) const;
    QString number(double value) const;

    QString m_title;
    QString m_span;
    QList<double> m_values;
    QColor m_color{0x1f, 0x6f, 0xeb};
    int m_decimals = 0;
};

} // namespace flippdeal::admin

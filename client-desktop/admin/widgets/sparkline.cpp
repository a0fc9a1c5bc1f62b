// SPDX-License-Identifier: MIT
#include "sparkline.h"

#include "formatting.h"

#include <QLinearGradient>
#include <QPainter>
#include <QPainterPath>

#include <algorithm>
#include <cmath>

namespace flippdeal::admin {

Sparkline::Sparkline(const QString &title, QWidget *parent)
    : QWidget(parent)
    , m_title(title)
{
    setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Expanding);
    setAttribute(Qt::WA_OpaquePaintEvent, false);
}

void Sparkline::setValues(const QList<double> &values)
{
    m_values = values;
    update();
}

void Sparkline::setColor(const QColor &color)
{
    m_color = color;
    update();
}

void Sparkline::setSpanText(const QString &text)
{
    m_span = text;
    update();
}

QString Sparkline::number(double value) const
{
    if (m_decimals > 0)
        return QString::number(value, 'f', m_decimals);
    return format::count(qint64(std::llround(value)));
}

void Sparkline::paintEvent(QPaintEvent *)
{
    QPainter painter(this);
    painter.setRenderHint(QPainter::Antialiasing);
    const QPalette pal = palette();
    const QRectF frame = QRectF(rect()).adjusted(0.5, 0.5, -0.5, -0.5);
    painter.setPen(pal.color(QPalette::Mid));
    painter.setBrush(pal.color(QPalette::Base));
    painter.drawRoundedRect(frame, 8, 8);
    const QRectF chart = paintCaption(painter, frame);
    painter.setFont(font());
    painter.setPen(pal.color(QPalette::PlaceholderText));
    if (m_values.size() < 2) {
        painter.drawText(chart, Qt::AlignCenter, tr("Collecting data…"));
        return;
    }
    paintChart(painter, chart);
}

QRectF Sparkline::paintCaption(QPainter &painter, const QRectF &frame) const
{
    // Title on the left, the last value on the right.
    QFont titleFont = font();
    titleFont.setBold(true);
    painter.setFont(titleFont);
    const QFontMetrics titleMetrics(titleFont);
    const QRectF header = frame.adjusted(12, 8, -12, 0);
    painter.setPen(palette().color(QPalette::WindowText));
    painter.drawText(header, Qt::AlignLeft | Qt::AlignTop, m_title);
    QFont valueFont = font();
    valueFont.setBold(true);
    valueFont.setPointSizeF(font().pointSizeF() * 1.5);
    painter.setFont(valueFont);
    painter.setPen(m_color);
    painter.drawText(header, Qt::AlignRight | Qt::AlignTop,
                     m_values.isEmpty() ? QStringLiteral("–") : number(m_values.last()));
    const QFontMetrics metrics(font());
    const qreal top = header.top() + std::max(titleMetrics.height(), metrics.height() * 3 / 2) + 6;
    return QRectF(frame.left() + 12, top, frame.width() - 24,
                  frame.bottom() - 8 - metrics.height() - 4 - top);
}

void Sparkline::paintChart(QPainter &painter, const QRectF &chart) const
{
    const QPalette pal = palette();
    const QFontMetrics metrics(font());
    const QRectF footer(chart.left(), chart.bottom() + 4, chart.width(), metrics.height());
    const auto [low, high] = std::minmax_element(m_values.cbegin(), m_values.cend());
    const double minimum = std::min(0.0, *low);
    double maximum = std::max(*high, minimum + 1.0);
    maximum += (maximum - minimum) * 0.1; // headroom above the peak
    painter.drawText(footer, Qt::AlignLeft | Qt::AlignVCenter, m_span);
    painter.drawText(footer, Qt::AlignRight | Qt::AlignVCenter, tr("peak %1").arg(number(*high)));

    // Grid: the baseline and the halfway line.
    painter.setPen(QPen(pal.color(QPalette::Midlight), 1, Qt::DashLine));
    painter.drawLine(QPointF(chart.left(), chart.center().y()),
                     QPointF(chart.right(), chart.center().y()));
    painter.setPen(QPen(pal.color(QPalette::Mid), 1));
    painter.drawLine(chart.bottomLeft(), chart.bottomRight());

    const int slots = std::max<int>(int(m_values.size()) - 1, 1);
    const auto point = [&](int i) {
        const double x = chart.left() + chart.width() * i / slots;
        const double y =
            chart.bottom() - chart.height() * (m_values.at(i) - minimum) / (maximum - minimum);
        return QPointF(x, y);
    };
    QPainterPath line;
    line.moveTo(point(0));
    for (int i = 1; i < m_values.size(); ++i)
        line.lineTo(point(i));
    QPainterPath area = line;
    area.lineTo(chart.right(), chart.bottom());
    area.lineTo(chart.left(), chart.bottom());
    area.closeSubpath();
    QLinearGradient fill(chart.topLeft(), chart.bottomLeft());
    QColor strong = m_color;
    strong.setAlphaF(0.35f);
    QColor faint = m_color;
    faint.setAlphaF(0.03f);
    fill.setColorAt(0, strong);
    fill.setColorAt(1, faint);
    painter.fillPath(area, fill);
    painter.setPen(QPen(m_color, 2, Qt::SolidLine, Qt::RoundCap, Qt::RoundJoin));
    painter.setBrush(Qt::NoBrush);
    painter.drawPath(line);
    painter.setBrush(m_color);
    painter.drawEllipse(point(int(m_values.size()) - 1), 3, 3);
}

} // namespace flippdeal::admin

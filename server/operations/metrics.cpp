// SPDX-License-Identifier: MIT
#include "operations/metrics.h"

#include "http/httpparser.h"

#include <QStringList>

#include <algorithm>

namespace flippdeal::server {

namespace {

QByteArray escapeLabel(const QString &value)
{
    QString escaped = value;
    escaped.replace(QLatin1Char('\\'), QLatin1String("\\\\"))
        .replace(QLatin1Char('"'), QLatin1String("\\\""));
    return escaped.toUtf8();
}

QByteArray number(double value)
{
    return QByteArray::number(value, 'g', 12);
}

} // namespace

void Metrics::addValue(const QString &name, const QString &help, Kind kind,
                       std::function<double()> read)
{
    m_values.append(Value{name, help, kind, std::move(read)});
}

void Metrics::recordRequest(const QByteArray &method, const QString &route, int status,
                            qint64 micros)
{
    // Never a label value a client made up: one of the implemented methods or "other", and a
    // bounded set of routes (router patterns are already; this holds even if one were not).
    const QString methodLabel = HttpRequestParser::isKnownMethod(method)
                                    ? QString::fromLatin1(method)
                                    : QStringLiteral("other");
    QString routeLabel = route;
    if (!m_routes.contains(routeLabel)) {
        if (m_routes.size() >= MaxRouteLabels)
            routeLabel = QStringLiteral("(other)");
        m_routes.insert(routeLabel);
    }
    const QString methodRoute = methodLabel + QLatin1Char('|') + routeLabel;
    ++m_requests[methodRoute + QLatin1Char('|') + QString::number(std::clamp(status, 100, 599))];
    Histogram &histogram = m_latency[methodRoute];
    const double seconds = micros / 1e6;
    for (std::size_t i = 0; i < Buckets.size(); ++i) {
        if (seconds <= Buckets[i])
            ++histogram.counts[i];
    }
    ++histogram.count;
    histogram.sum += seconds;
}

QByteArray Metrics::render() const
{
    QByteArray out;
    for (const Value &value : m_values) {
        out += "# HELP " + value.name.toUtf8() + ' ' + value.help.toUtf8() + '\n';
        out += "# TYPE " + value.name.toUtf8() +
               (value.kind == Kind::Gauge ? " gauge\n" : " counter\n");
        out += value.name.toUtf8() + ' ' + number(value.read()) + '\n';
    }

    out += "# HELP flippdeal_http_requests_total HTTP requests answered, by route and status.\n"
           "# TYPE flippdeal_http_requests_total counter\n";
    QStringList keys = m_requests.keys();
    std::sort(keys.begin(), keys.end());
    for (const QString &key : std::as_const(keys)) {
        const QStringList parts = key.split(QLatin1Char('|'));
        out += "flippdeal_http_requests_total{method=\"" + escapeLabel(parts.value(0)) +
               "\",route=\"" + escapeLabel(parts.value(1)) + "\",status=\"" +
               escapeLabel(parts.value(2)) + "\"} " + QByteArray::number(m_requests.value(key)) +
               '\n';
    }

    out += "# HELP flippdeal_http_request_duration_seconds Time from a complete request to its "
           "response.\n"
           "# TYPE flippdeal_http_request_duration_seconds histogram\n";
    keys = m_latency.keys();
    std::sort(keys.begin(), keys.end());
    for (const QString &key : std::as_const(keys)) {
        const QStringList parts = key.split(QLatin1Char('|'));
        const QByteArray labels = "method=\"" + escapeLabel(parts.value(0)) + "\",route=\"" +
                                  escapeLabel(parts.value(1)) + '"';
        const Histogram &h = m_latency.value(key);
        for (std::size_t i = 0; i < Buckets.size(); ++i)
            out += "flippdeal_http_request_duration_seconds_bucket{" + labels + ",le=\"" +
                   number(Buckets[i]) + "\"} " + QByteArray::number(h.counts[i]) + '\n';
        out += "flippdeal_http_request_duration_seconds_bucket{" + labels + ",le=\"+Inf\"} " +
               QByteArray::number(h.count) + '\n';
        out +=
            "flippdeal_http_request_duration_seconds_sum{" + labels + "} " + number(h.sum) + '\n';
        out += "flippdeal_http_request_duration_seconds_count{" + labels + "} " +
               QByteArray::number(h.count) + '\n';
    }
    return out;
}

} // namespace flippdeal::server

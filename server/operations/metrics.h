// SPDX-License-Identifier: MIT
#pragma once

#include <QByteArray>
#include <QHash>
#include <QList>
#include <QSet>
#include <QString>

#include <array>
#include <functional>

namespace flippdeal::server {

//! \brief Prometheus text exposition. Modules register gauges and counters as callbacks (the
//! numbers stay where they are kept); HTTP requests are counted here by route and status, with
//! a latency histogram per route.
//!
//! Labels come from fixed sets, whatever clients send: the method is one the server implements
//! or `other`, the route a router pattern or a fixed name such as `(not found)`; and beyond
//! MaxRouteLabels distinct routes any new one is counted as `(other)`.
class Metrics
{
public:
    enum class Kind
    {
        Gauge,
        Counter
    };

    void addValue(const QString &name, const QString &help, Kind kind,
                  std::function<double()> read);
    void recordRequest(const QByteArray &method, const QString &route, int status, qint64 micros);
    QByteArray render() const;

    static constexpr int MaxRouteLabels = 200;

private:
    static constexpr std::array<double, 11> Buckets{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                    0.1,   0.25,   0.5,   1.0,  2.5};
    struct Value
    {
        QString name;
        QString help;
        Kind kind;
        std::function<double()> read;
    };
    struct Histogram
    {
        std::array<quint64, Buckets.size()> counts{};
        quint64 count = 0;
        double sum = 0;
    };

    QList<Value> m_values;
    QSet<QString> m_routes;
    QHash<QString, quint64> m_requests;  // "method|route|status" → count
    QHash<QString, Histogram> m_latency; // "method|route" → histogram
};

} // namespace flippdeal::server

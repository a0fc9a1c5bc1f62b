// SPDX-License-Identifier: MIT
#pragma once

#include <QString>

//! \file The soak mode of flippdeal-bench (bench/soak.sh, docs/benchmarks.md): a mixed load
//! for a set time, with the server's RSS, descriptors and CPU sampled as it runs.

namespace flippdeal::bench {

struct SoakOptions
{
    QString host = QStringLiteral("127.0.0.1");
    int port = 6001;
    QString key = QStringLiteral("flippdeal-key");
    int seconds = 60;          //!< length of the load, after setup
    double chatRate = 50;      //!< POST /api/messages per second
    double bidRate = 5;        //!< bids per second, over all auctions
    int auctions = 8;          //!< live auctions, each of its own seller
    double joinRate = 10;      //!< presence joins per second (each leaves again after 3 s)
    int idle = 2000;           //!< idle WebSocket connections
    int users = 20;            //!< signed-in users; every other one is subscribed live
    int stormEvery = 120;      //!< seconds between reconnect storms (at least one per run)
    int sampleEvery = 10;      //!< seconds between samples of the server process
    double maxRssDrift = 0.10; //!< allowed RSS growth after warm-up
    qint64 serverPid = 0;
};

//! \brief Runs the soak, prints a sample table and a verdict; 0 when it passed, 1 otherwise.
int runSoak(const SoakOptions &options);

} // namespace flippdeal::bench

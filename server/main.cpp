// SPDX-License-Identifier: MIT
#include "app/commands.h"

#include <QCoreApplication>

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setOrganizationName(QStringLiteral("FlippDeal"));
    QCoreApplication::setApplicationName(QStringLiteral("flippdeal-server"));
    QCoreApplication::setApplicationVersion(QStringLiteral(FLIPPDEAL_VERSION));
    return flippdeal::server::runCommandLine(QCoreApplication::arguments());
}

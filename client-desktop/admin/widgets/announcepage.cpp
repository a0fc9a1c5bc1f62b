// SPDX-License-Identifier: MIT
#include "announcepage.h"

#include "adminconsole.h"
#include "formatting.h"

#include <QFormLayout>
#include <QHBoxLayout>
#include <QIcon>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QTime>
#include <QVBoxLayout>

namespace flippdeal::admin {

AnnouncePage::AnnouncePage(AdminConsole &console, QWidget *parent)
    : QWidget(parent)
    , m_console(console)
{
    auto *outer = new QVBoxLayout(this);
    outer->setContentsMargins(16, 16, 16, 16);
    auto *intro = new QLabel(
        tr("An announcement goes to every user who is not banned: it is stored as a notification "
           "in their inbox and shown at once to everyone online."),
        this);
    intro->setWordWrap(true);
    outer->addWidget(intro);
    outer->addSpacing(8);

    auto *form = new QFormLayout;
    form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    m_title = new QLineEdit(this);
    m_title->setMaxLength(MaxTitle);
    m_title->setPlaceholderText(tr("For example: Scheduled maintenance on Sunday"));
    m_body = new QPlainTextEdit(this);
    m_body->setTabChangesFocus(true);
    m_body->setPlaceholderText(tr("What users should know, in up to %1 characters.").arg(MaxBody));
    form->addRow(tr("&Title"), m_title);
    form->addRow(tr("&Message"), m_body);
    outer->addLayout(form, 1);

    auto *actions = new QHBoxLayout;
    m_counter = new QLabel(this);
    m_counter->setForegroundRole(QPalette::PlaceholderText);
    m_result = new QLabel(this);
    m_send = new QPushButton(QIcon(QStringLiteral(":/icons/megaphone.svg")),
                             tr("&Send to all users…"), this);
    actions->addWidget(m_counter);
    actions->addSpacing(16);
    actions->addWidget(m_result, 1);
    actions->addWidget(m_send);
    outer->addLayout(actions);
    setTabOrder(m_title, m_body);
    setTabOrder(m_body, m_send);

    connect(m_title, &QLineEdit::textChanged, this, &AnnouncePage::updateState);
    connect(m_body, &QPlainTextEdit::textChanged, this, &AnnouncePage::updateState);
    connect(m_title, &QLineEdit::returnPressed, m_body, qOverload<>(&QWidget::setFocus));
    connect(m_send, &QPushButton::clicked, this, &AnnouncePage::send);
    connect(console.announcements(), &AnnouncementTool::sent, this, [this](int recipients) {
        m_result->setText(tr("Sent at %1 to %2.")
                              .arg(QTime::currentTime().toString(QStringLiteral("HH:mm")),
                                   recipients == 1
                                       ? tr("1 user")
                                       : tr("%1 users").arg(format::count(recipients))));
    });
    updateState();
}

void AnnouncePage::updateState()
{
    const qsizetype length = m_body->toPlainText().size();
    m_counter->setText(tr("%1 / %2 characters").arg(length).arg(MaxBody));
    m_send->setEnabled(!m_title->text().trimmed().isEmpty() &&
                       !m_body->toPlainText().trimmed().isEmpty() && length <= MaxBody);
}

void AnnouncePage::send()
{
    m_console.announcements()->send(m_title->text(), m_body->toPlainText(),
                                    [this](bool ok, const QString &) {
                                        if (!ok)
                                            return;
                                        m_title->clear();
                                        m_body->clear();
                                    });
}

} // namespace flippdeal::admin

// SPDX-License-Identifier: MIT
#include "signinpage.h"

#include "adminconsole.h"

#include <QFormLayout>
#include <QFrame>
#include <QHBoxLayout>
#include <QIcon>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QVBoxLayout>

namespace flippdeal::admin {

SignInPage::SignInPage(AdminConsole &console, QWidget *parent)
    : QWidget(parent)
    , m_console(console)
{
    auto *outer = new QVBoxLayout(this);
    outer->addStretch(1);

    auto *card = new QFrame(this);
    card->setFrameShape(QFrame::StyledPanel);
    card->setAutoFillBackground(true);
    card->setBackgroundRole(QPalette::Base);
    card->setFixedWidth(440);
    auto *layout = new QVBoxLayout(card);
    layout->setContentsMargins(28, 24, 28, 24);
    layout->setSpacing(10);
    addHeader(layout, card);
    addForm(layout, card);

    auto *center = new QHBoxLayout;
    center->addStretch(1);
    center->addWidget(card);
    center->addStretch(1);
    outer->addLayout(center);
    outer->addStretch(2);

    setTabOrder(m_server, m_email);
    setTabOrder(m_email, m_password);
    setTabOrder(m_password, m_signIn);

    connect(m_signIn, &QPushButton::clicked, this, &SignInPage::submit);
    for (QLineEdit *field : {m_server, m_email, m_password})
        connect(field, &QLineEdit::returnPressed, this, &SignInPage::submit);
    connect(&console, &AdminConsole::statusChanged, this, &SignInPage::updateState);
    connect(&console, &AdminConsole::errorStringChanged, this, &SignInPage::updateState);
    connect(&console, &AdminConsole::signedOut, m_password, &QLineEdit::clear);
    updateState();
}

void SignInPage::addHeader(QVBoxLayout *layout, QWidget *card)
{
    auto *logo = new QLabel(card);
    logo->setPixmap(QIcon(QStringLiteral(":/icons/flippdeal-admin.svg")).pixmap(56, 56));
    logo->setAlignment(Qt::AlignHCenter);
    auto *title = new QLabel(tr("FlippDeal Live Admin"), card);
    QFont titleFont = title->font();
    titleFont.setPointSizeF(titleFont.pointSizeF() * 1.6);
    titleFont.setBold(true);
    title->setFont(titleFont);
    title->setAlignment(Qt::AlignHCenter);
    auto *subtitle = new QLabel(tr("Sign in with an administrator account."), card);
    subtitle->setAlignment(Qt::AlignHCenter);
    subtitle->setForegroundRole(QPalette::PlaceholderText);
    layout->addWidget(logo);
    layout->addWidget(title);
    layout->addWidget(subtitle);
    layout->addSpacing(8);
}

void SignInPage::addForm(QVBoxLayout *layout, QWidget *card)
{
    auto *form = new QFormLayout;
    form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    m_server = new QLineEdit(card);
    m_server->setPlaceholderText(QStringLiteral("http://127.0.0.1:6001"));
    m_email = new QLineEdit(card);
    m_email->setPlaceholderText(QStringLiteral("ops@example.com"));
    m_password = new QLineEdit(card);
    m_password->setEchoMode(QLineEdit::Password);
    form->addRow(tr("&Server"), m_server);
    form->addRow(tr("&Email"), m_email);
    form->addRow(tr("&Password"), m_password);
    layout->addLayout(form);

    m_error = new QLabel(card);
    m_error->setWordWrap(true);
    m_error->setTextFormat(Qt::PlainText);
    m_error->setForegroundRole(QPalette::WindowText); // not Text, which the card's Base implies
    QPalette errorPalette = m_error->palette();
    errorPalette.setColor(QPalette::WindowText, QColor(0xcf, 0x22, 0x2e));
    m_error->setPalette(errorPalette);
    m_error->setObjectName(QStringLiteral("signInError"));
    layout->addWidget(m_error);

    m_signIn = new QPushButton(tr("Sign in"), card);
    m_signIn->setDefault(true);
    m_signIn->setAutoDefault(true);
    m_busy = new QLabel(card);
    m_busy->setAlignment(Qt::AlignHCenter);
    m_busy->setForegroundRole(QPalette::PlaceholderText);
    layout->addWidget(m_signIn);
    layout->addWidget(m_busy);
}

void SignInPage::setServer(const QString &server)
{
    m_server->setText(server);
}

void SignInPage::setEmail(const QString &email)
{
    m_email->setText(email);
}

void SignInPage::focusFirstEmpty()
{
    for (QLineEdit *field : {m_server, m_email, m_password}) {
        if (field->text().isEmpty()) {
            field->setFocus();
            return;
        }
    }
    m_password->setFocus();
}

QString SignInPage::errorText() const
{
    return m_error->text();
}

void SignInPage::submit()
{
    if (m_console.status() != AdminConsole::Status::SignedOut)
        return;
    m_console.signIn(m_server->text(), m_email->text(), m_password->text());
}

void SignInPage::updateState()
{
    const AdminConsole::Status status = m_console.status();
    const bool busy =
        status == AdminConsole::Status::Restoring || status == AdminConsole::Status::SigningIn;
    m_error->setText(m_console.errorString());
    m_error->setVisible(!m_console.errorString().isEmpty());
    m_busy->setText(status == AdminConsole::Status::Restoring   ? tr("Restoring your session…")
                    : status == AdminConsole::Status::SigningIn ? tr("Signing in…")
                                                                : QString());
    m_busy->setVisible(busy);
    m_signIn->setEnabled(!busy);
    for (QLineEdit *field : {m_server, m_email, m_password})
        field->setEnabled(!busy);
}

} // namespace flippdeal::admin

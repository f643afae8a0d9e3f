using System;

namespace G5Mail
{
    /// <summary>
    /// The module's public types, which <see cref="ModuleInitializer"/> registers as type accelerators of their full names
    /// so that type literals such as [G5Mail.MailMethod] resolve (PowerShell looks for types only in the default load
    /// context, and the engine's live in the module's private one). A list rather than a reflection walk, because every
    /// millisecond of the walk would be paid at each import; Isolation.Tests.ps1 walks every parameter and output type of
    /// the cmdlets and fails when one of them is missing here.
    /// </summary>
    public static class ModuleTypes
    {
        public static readonly Type[] All =
        {
            // Parameter types.
            typeof(MailMethod), typeof(AuthenticationFlow), typeof(CopyToSelf), typeof(ExchangeOnlineProtocol), typeof(SettingsScope),
            typeof(DocumentType),

            // Output types and the types of their properties.
            typeof(SendResult), typeof(SendStatus), typeof(MailSettings), typeof(SettingSource), typeof(Finding), typeof(FindingSeverity),
            typeof(ServerTestResult), typeof(SecretExpiry), typeof(SecretStatus), typeof(SecretSource),
            typeof(ActivityResult), typeof(ActivityStatus),
            typeof(ReceivedMessage), typeof(ReceivedAttachment), typeof(DeliveryReport), typeof(DeliveryReason), typeof(DocumentIdList),

            // The summary record's data and the exception of every error record.
            typeof(SendSummary), typeof(ActivitySummary), typeof(G5MailErrorException),
        };
    }
}

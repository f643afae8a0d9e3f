// The public enums of the module: parameter types and output properties, one copy each (the cmdlets and the engine
// load in the same private context, see README "Design").
namespace G5Mail
{
    /// <summary>How mail leaves (the Monitor G5 system setting).</summary>
    public enum MailMethod
    {
        Outlook,
        Exchange,
        Smtp,
        ExchangeOnline,
    }

    /// <summary>How Exchange Online signs in.</summary>
    public enum AuthenticationFlow
    {
        ClientSecret,
        UsernamePassword,
    }

    /// <summary>Values of the SendCopyToSelf setting.</summary>
    public enum CopyToSelf
    {
        None,
        Cc,
        Bcc,
    }

    /// <summary>Exchange Online transport.</summary>
    public enum ExchangeOnlineProtocol
    {
        Graph,
        Smtp,
    }

    /// <summary>
    /// The kind of a Monitor G5 document: picks the built-in subject and text and which combine rule applies
    /// (CombineDocumentTypes). From the pipeline also in Swedish (Offert, Order, Orderbekräftelse, Inköpsorder,
    /// Följesedel, Faktura, Påminnelse, Övrigt).
    /// </summary>
    public enum DocumentType
    {
        Other,
        Quote,
        Order,
        OrderConfirmation,
        PurchaseOrder,
        DeliveryNote,
        Invoice,
        Reminder,
    }

    public enum SettingsScope
    {
        System,
        User,
        Effective,
    }

    /// <summary>Where an effective value came from.</summary>
    public enum SettingSource
    {
        Default,
        System,
        User,
    }
}

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

namespace G5Mail.Core.Settings
{
    /// <summary>How mail leaves (the Monitor G5 system setting).</summary>
    public enum MailMethod
    {
        Outlook,
        Exchange,
        Smtp,
        ExchangeOnline,
    }

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

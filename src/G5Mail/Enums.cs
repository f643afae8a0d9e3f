using System;

namespace G5Mail
{
    // The engine's enums as the cmdlets show them: parameter types and output properties belong to G5Mail.dll, the one
    // G5Mail assembly in PowerShell's default load context (the engine's assembly is loaded in isolation, see
    // Loading/DependencyLoader.cs). Same names and values as the engine's, so scripts and settings files keep working;
    // EngineTypes maps between the two by name.

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

    public enum FindingSeverity
    {
        Information,
        Warning,
        Error,
    }

    /// <summary>Maps the cmdlets' enums to and from the engine's, by name.</summary>
    internal static class EngineTypes
    {
        /// <summary>The value of the same name in <typeparamref name="TTo"/> (engine to cmdlet or back).</summary>
        internal static TTo To<TTo>(this Enum value)
            where TTo : struct, Enum => (TTo)Enum.Parse(typeof(TTo), value.ToString());
    }
}

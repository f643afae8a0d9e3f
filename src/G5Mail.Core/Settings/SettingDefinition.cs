using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Security;
using G5Mail.Core.Errors;

namespace G5Mail.Core.Settings
{
    /// <summary>The shape of a setting's value; drives validation, the JSON form and secret handling.</summary>
    public enum SettingKind
    {
        Enum,
        Text,
        Integer,
        Boolean,
        Number,
        Guid,
        Uri,
        DateTime,
        Credential,
        Secret,
        /// <summary>A list of enum values (CombineDocumentTypes): a JSON array of names.</summary>
        EnumList,
    }

    /// <summary>
    /// One row of the settings table of INTERFACE.md: its name, kind, default and how to read and write it on
    /// <see cref="SettingValues"/>. One table keeps validation, storage, merge and output in step.
    /// </summary>
    public sealed class SettingDefinition
    {
        private readonly Func<SettingValues, object?> _get;
        private readonly Action<SettingValues, object?> _set;

        private SettingDefinition(string name, SettingKind kind, Type? enumType, object? defaultValue,
            Func<SettingValues, object?> get, Action<SettingValues, object?> set)
        {
            Name = name;
            Kind = kind;
            EnumType = enumType;
            DefaultValue = defaultValue;
            _get = get;
            _set = set;
        }

        /// <summary>The contract's name (parameter, property and JSON name).</summary>
        public string Name { get; }
        public SettingKind Kind { get; }
        public Type? EnumType { get; }
        /// <summary>The value that applies when no scope sets one; null when the setting has no default.</summary>
        public object? DefaultValue { get; }
        /// <summary>True for values that are stored encrypted and never shown.</summary>
        public bool IsSecret => Kind == SettingKind.Secret || Kind == SettingKind.Credential;

        public object? GetValue(SettingValues settings) => _get(settings);
        public void SetValue(SettingValues settings, object? value) => _set(settings, value);

        internal static SettingDefinition Of<T>(string name, SettingKind kind, object? defaultValue,
            Func<SettingValues, T> get, Action<SettingValues, T> set)
        {
            Type? enumType = kind == SettingKind.Enum ? Nullable.GetUnderlyingType(typeof(T)) ?? typeof(T)
                : kind == SettingKind.EnumList ? typeof(T).GetElementType() : null;
            return new SettingDefinition(name, kind, enumType, defaultValue, s => get(s), (s, v) => set(s, (T)v!));
        }

        public override string ToString() => Name;
    }

    /// <summary>All settings, in the order of the contract's table.</summary>
    public static class SettingDefinitions
    {
        public static readonly IReadOnlyList<SettingDefinition> All = new[]
        {
            SettingDefinition.Of<MailMethod?>("Method", SettingKind.Enum, null, s => s.Method, (s, v) => s.Method = v),
            SettingDefinition.Of<string?>("Server", SettingKind.Text, null, s => s.Server, (s, v) => s.Server = v),
            SettingDefinition.Of<int?>("Port", SettingKind.Integer, Defaults.Port, s => s.Port, (s, v) => s.Port = v),
            SettingDefinition.Of<bool?>("UseSsl", SettingKind.Boolean, Defaults.UseSsl, s => s.UseSsl, (s, v) => s.UseSsl = v),
            SettingDefinition.Of<NetworkCredential?>("Credential", SettingKind.Credential, null, s => s.Credential, (s, v) => s.Credential = v),
            SettingDefinition.Of<string?>("From", SettingKind.Text, null, s => s.From, (s, v) => s.From = v),
            SettingDefinition.Of<Guid?>("ClientId", SettingKind.Guid, null, s => s.ClientId, (s, v) => s.ClientId = v),
            SettingDefinition.Of<string?>("TenantId", SettingKind.Text, null, s => s.TenantId, (s, v) => s.TenantId = v),
            SettingDefinition.Of<AuthenticationFlow?>("AuthenticationFlow", SettingKind.Enum, Defaults.Flow, s => s.AuthenticationFlow, (s, v) => s.AuthenticationFlow = v),
            SettingDefinition.Of<SecureString?>("ClientSecret", SettingKind.Secret, null, s => s.ClientSecret, (s, v) => s.ClientSecret = v),
            SettingDefinition.Of<DateTime?>("ClientSecretExpiresOn", SettingKind.DateTime, null, s => s.ClientSecretExpiresOn, (s, v) => s.ClientSecretExpiresOn = v),
            SettingDefinition.Of<double?>("MaxAttachmentSizeMB", SettingKind.Number, Defaults.MaxAttachmentSizeMB, s => s.MaxAttachmentSizeMB, (s, v) => s.MaxAttachmentSizeMB = v),
            SettingDefinition.Of<bool?>("CombineDocuments", SettingKind.Boolean, Defaults.CombineDocuments, s => s.CombineDocuments, (s, v) => s.CombineDocuments = v),
            SettingDefinition.Of<CopyToSelf?>("SendCopyToSelf", SettingKind.Enum, Defaults.SendCopyToSelf, s => s.SendCopyToSelf, (s, v) => s.SendCopyToSelf = v),
            SettingDefinition.Of<ExchangeOnlineProtocol?>("ExchangeOnlineProtocol", SettingKind.Enum, Defaults.Protocol, s => s.ExchangeOnlineProtocol, (s, v) => s.ExchangeOnlineProtocol = v),
            SettingDefinition.Of<Uri?>("AuthorityHost", SettingKind.Uri, Defaults.AuthorityHost, s => s.AuthorityHost, (s, v) => s.AuthorityHost = v),
            SettingDefinition.Of<Uri?>("GraphEndpoint", SettingKind.Uri, Defaults.GraphEndpoint, s => s.GraphEndpoint, (s, v) => s.GraphEndpoint = v),
            SettingDefinition.Of<string?>("CertificateThumbprint", SettingKind.Text, null, s => s.CertificateThumbprint, (s, v) => s.CertificateThumbprint = v),
            SettingDefinition.Of<bool?>("SkipCertificateCheck", SettingKind.Boolean, Defaults.SkipCertificateCheck, s => s.SkipCertificateCheck, (s, v) => s.SkipCertificateCheck = v),
            SettingDefinition.Of<int?>("TimeoutSeconds", SettingKind.Integer, Defaults.TimeoutSeconds, s => s.TimeoutSeconds, (s, v) => s.TimeoutSeconds = v),
            // No default: unset means every type may be combined (when CombineDocuments is on).
            SettingDefinition.Of<DocumentType[]?>("CombineDocumentTypes", SettingKind.EnumList, null, s => s.CombineDocumentTypes, (s, v) => s.CombineDocumentTypes = v),
            SettingDefinition.Of<string?>("MessageLanguage", SettingKind.Text, Defaults.MessageLanguage, s => s.MessageLanguage, (s, v) => s.MessageLanguage = v),
            SettingDefinition.Of<string?>("TemplatePath", SettingKind.Text, null, s => s.TemplatePath, (s, v) => s.TemplatePath = v),
            // No default: unset means Server (the one mail server that sends and holds the mailbox).
            SettingDefinition.Of<string?>("ImapServer", SettingKind.Text, null, s => s.ImapServer, (s, v) => s.ImapServer = v),
            SettingDefinition.Of<int?>("ImapPort", SettingKind.Integer, Defaults.ImapPort, s => s.ImapPort, (s, v) => s.ImapPort = v),
        };

        private static readonly Dictionary<string, SettingDefinition> ByName =
            All.ToDictionary(d => d.Name, StringComparer.OrdinalIgnoreCase);

        /// <summary>Finds a setting by name, ignoring case (as PowerShell users type names).</summary>
        public static bool TryFind(string? name, out SettingDefinition definition)
        {
            definition = null!;
            return name != null && ByName.TryGetValue(name.Trim(), out definition!);
        }

        /// <summary>Finds a setting by name or throws InvalidSetting listing the valid names.</summary>
        public static SettingDefinition Find(string? name)
        {
            if (TryFind(name, out var definition))
            {
                return definition;
            }

            throw new G5MailErrorException(ErrorIds.InvalidSetting, ErrorKind.InvalidArgument,
                $"'{name}' is not a G5Mail setting. Valid names: {string.Join(", ", All.Select(d => d.Name))}.", name);
        }
    }
}

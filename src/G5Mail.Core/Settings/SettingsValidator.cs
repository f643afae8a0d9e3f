using System;
using System.Globalization;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Security;
using System.Text;
using System.Collections.Generic;
using G5Mail.Core.Documents;
using G5Mail.Core.Errors;
using G5Mail.Core.Messages;
using MimeKit;

namespace G5Mail.Core.Settings
{
    /// <summary>
    /// Checks one setting's value on its own and returns it in its normal form (trimmed, typed, upper-case
    /// thumbprint, …). A bad value throws <see cref="G5MailErrorException"/> with id InvalidSetting and a message that
    /// names the setting, the value (never for secrets) and what is accepted. Cross-field rules live in
    /// <see cref="SettingsFindings"/>.
    /// </summary>
    public static class SettingsValidator
    {
        private const int MaxShownValueLength = 80;

        /// <summary>
        /// Validates <paramref name="value"/> for the setting <paramref name="name"/>. Accepts the typed value or,
        /// for non-secret settings, its text form (as read from a file or typed by a user).
        /// </summary>
        public static object Normalize(string name, object? value) => Normalize(SettingDefinitions.Find(name), value);

        public static object Normalize(SettingDefinition setting, object? value)
        {
            if (value is null)
            {
                throw Invalid(setting, null, "a value is required; to remove a value use -Clear " + setting.Name);
            }

            switch (setting.Name)
            {
                case "Method":
                case "AuthenticationFlow":
                case "SendCopyToSelf":
                case "ExchangeOnlineProtocol":
                    return ParseEnum(setting, value);
                case "Server":
                    return ValidateServer(AsText(setting, value));
                case "Port":
                    return ValidatePort(AsInteger(setting, value));
                case "ImapServer":
                    return ValidateImapServer(AsText(setting, value));
                case "ImapPort":
                    return ValidateImapPort(AsInteger(setting, value));
                case "UseSsl":
                case "CombineDocuments":
                case "SkipCertificateCheck":
                    return AsBoolean(setting, value);
                case "Credential":
                    return ValidateCredential(value);
                case "From":
                    return ValidateFrom(AsText(setting, value));
                case "ClientId":
                    return ParseClientId(value);
                case "TenantId":
                    return ValidateTenantId(AsText(setting, value));
                case "ClientSecret":
                    return ValidateClientSecret(value);
                case "ClientSecretExpiresOn":
                    return AsDateTime(setting, value);
                case "MaxAttachmentSizeMB":
                    return ValidateMaxAttachmentSizeMB(AsNumber(setting, value));
                case "TimeoutSeconds":
                    return ValidateTimeoutSeconds(AsInteger(setting, value));
                case "AuthorityHost":
                case "GraphEndpoint":
                    return ValidateHttpsHost(setting, value);
                case "CertificateThumbprint":
                    return NormalizeThumbprint(AsText(setting, value));
                case "CombineDocumentTypes":
                    return ParseDocumentTypes(setting, value);
                case "MessageLanguage":
                    return ValidateLanguage(AsText(setting, value));
                case "TemplatePath":
                    return ValidateTemplatePath(AsText(setting, value));
                default:
                    throw new InvalidOperationException("No validation rule for setting " + setting.Name);
            }
        }

        /// <summary>Port: a whole number from 0 to 65535 (0 = the method's standard port).</summary>
        public static int ValidatePort(long port)
        {
            if (port < 0 || port > 65535)
            {
                throw Invalid("Port", port.ToString(CultureInfo.InvariantCulture),
                    "use a whole number from 0 to 65535 (0 = the method's standard port, e.g. 25/587 for Smtp, 443 for Exchange)");
            }

            return (int)port;
        }

        /// <summary>ImapPort: a whole number from 0 to 65535 (0 = 993 with UseSsl, else 143).</summary>
        public static int ValidateImapPort(long port)
        {
            if (port < 0 || port > 65535)
            {
                throw Invalid("ImapPort", port.ToString(CultureInfo.InvariantCulture),
                    "use a whole number from 0 to 65535 (0 = the standard port: 993 with TLS when UseSsl is set, else 143 with STARTTLS)");
            }

            return (int)port;
        }

        /// <summary>ImapServer: a DNS name or IP address (never a URL: IMAP has none).</summary>
        public static string ValidateImapServer(string server)
        {
            if (server.IndexOf("://", StringComparison.Ordinal) < 0)
            {
                try
                {
                    return ValidateServer(server);
                }
                catch (G5MailErrorException)
                {
                    // Reported below with the IMAP setting's name and words.
                }
            }

            throw Invalid("ImapServer", server,
                "use a DNS name (imap.example.com) or an IP address (192.0.2.10) of the IMAP server; give the port with -ImapPort");
        }

        /// <summary>Server: a DNS name or IP address; for Exchange also a full https EWS URL.</summary>
        public static string ValidateServer(string server)
        {
            string value = server.Trim();
            const string accepted = "use a DNS name (mail.example.com), an IP address (192.0.2.10), or for Exchange a full EWS URL "
                + "(https://mail.example.com/EWS/Exchange.asmx; http:// only for a server that has no https, with a warning); give the port with -Port";
            if (value.Length == 0 || value.Any(char.IsWhiteSpace))
            {
                throw Invalid("Server", server, accepted);
            }

            if (value.IndexOf("://", StringComparison.Ordinal) >= 0)
            {
                // Exchange talks https to a host name; plain http is possible only when asked for this explicitly.
                if (Uri.TryCreate(value, UriKind.Absolute, out Uri? url) && (url.Scheme == Uri.UriSchemeHttps || url.Scheme == Uri.UriSchemeHttp)
                    && url.Host.Length > 0 && url.UserInfo.Length == 0)
                {
                    return url.AbsoluteUri;
                }

                throw Invalid("Server", server, accepted);
            }

            string host = value.StartsWith("[", StringComparison.Ordinal) && value.EndsWith("]", StringComparison.Ordinal)
                ? value.Substring(1, value.Length - 2)
                : value;
            if (IPAddress.TryParse(host, out IPAddress? ip)
                && (ip.AddressFamily == AddressFamily.InterNetworkV6 || host.Count(c => c == '.') == 3))
            {
                return ip.ToString();
            }

            if (IsDnsName(value))
            {
                return value;
            }

            throw Invalid("Server", server, accepted);
        }

        /// <summary>From: one mail address, local@domain, optionally with a display name ("Sales &lt;sales@example.com&gt;").</summary>
        public static string ValidateFrom(string from)
        {
            string value = from.Trim();
            const string accepted = "use one mail address such as sales@example.com or \"Example Sales <sales@example.com>\"";
            if (value.Length == 0 || !MailboxAddress.TryParse(ParserOptions.Default, value, out MailboxAddress? mailbox))
            {
                throw Invalid("From", from, accepted);
            }

            // MimeKit accepts a bare local part ("not-an-address"); a sender needs local@domain.
            string address = mailbox.Address;
            int at = address.LastIndexOf('@');
            if (at <= 0 || at == address.Length - 1
                || (!IsDnsName(address.Substring(at + 1)) && !IsAddressLiteral(address.Substring(at + 1))))
            {
                throw Invalid("From", from, accepted);
            }

            return value;
        }

        /// <summary>ClientId: the app's "Application (client) ID", a GUID other than all zeros.</summary>
        public static Guid ParseClientId(object value)
        {
            if (value is Guid g && g != Guid.Empty)
            {
                return g;
            }

            string text = value is Guid ? value.ToString()! : AsText(SettingDefinitions.Find("ClientId"), value);
            if (Guid.TryParse(text.Trim(), out Guid parsed) && parsed != Guid.Empty)
            {
                return parsed;
            }

            throw Invalid("ClientId", text,
                "use the app registration's Application (client) ID, a GUID such as 00000000-0000-0000-0000-000000000000 (not all zeros)");
        }

        /// <summary>TenantId: the directory (tenant) ID as a GUID, or a verified domain such as contoso.onmicrosoft.com.</summary>
        public static string ValidateTenantId(string tenant)
        {
            string value = tenant.Trim();
            if (Guid.TryParse(value, out Guid id) && id != Guid.Empty)
            {
                return id.ToString("D");
            }

            if (value.IndexOf('.') > 0 && IsDnsName(value))
            {
                return value.ToLowerInvariant();
            }

            throw Invalid("TenantId", tenant,
                "use the Directory (tenant) ID, a GUID, or a verified domain of the tenant such as contoso.onmicrosoft.com");
        }

        /// <summary>MaxAttachmentSizeMB: a number within <see cref="AttachmentSizeLimit"/>'s bounds (1 MB = 1,048,576 bytes).</summary>
        public static double ValidateMaxAttachmentSizeMB(double size)
        {
            if (!AttachmentSizeLimit.IsValid(size))
            {
                throw Invalid("MaxAttachmentSizeMB", size.ToString(CultureInfo.InvariantCulture),
                    $"use a number from {AttachmentSizeLimit.MinMegabytes.ToString(CultureInfo.InvariantCulture)} to "
                    + $"{AttachmentSizeLimit.MaxMegabytes.ToString("N0", CultureInfo.InvariantCulture)}, in MB of 1,048,576 bytes (e.g. 10 or 2.5)");
            }

            return size;
        }

        /// <summary>TimeoutSeconds: a whole number of seconds from 1 to 600.</summary>
        public static int ValidateTimeoutSeconds(long seconds)
        {
            if (seconds < Defaults.MinTimeoutSeconds || seconds > Defaults.MaxTimeoutSeconds)
            {
                throw Invalid("TimeoutSeconds", seconds.ToString(CultureInfo.InvariantCulture),
                    $"use a whole number of seconds from {Defaults.MinTimeoutSeconds} to {Defaults.MaxTimeoutSeconds} (default {Defaults.TimeoutSeconds}); "
                    + "it bounds connect, greeting, TLS handshake and each reply of the server");
            }

            return (int)seconds;
        }

        /// <summary>AuthorityHost / GraphEndpoint: an absolute https URI of a host, without path, query or user info.</summary>
        public static Uri ValidateHttpsHost(string name, object value) => ValidateHttpsHost(SettingDefinitions.Find(name), value);

        private static Uri ValidateHttpsHost(SettingDefinition setting, object value)
        {
            string text = value is Uri u ? u.OriginalString : AsText(setting, value).Trim();
            string example = setting.Name == "AuthorityHost" ? "https://login.microsoftonline.us" : "https://graph.microsoft.us";
            if (Uri.TryCreate(text, UriKind.Absolute, out Uri? uri)
                && uri.Scheme == Uri.UriSchemeHttps
                && uri.Host.Length > 0
                && uri.UserInfo.Length == 0
                && (uri.AbsolutePath == "/" || uri.AbsolutePath.Length == 0)
                && uri.Query.Length == 0
                && uri.Fragment.Length == 0)
            {
                return new Uri(uri.GetLeftPart(UriPartial.Authority));
            }

            throw Invalid(setting, text, $"use an absolute https URI of the host only, e.g. {example}");
        }

        /// <summary>
        /// CertificateThumbprint: SHA-1 (40 hex digits) or SHA-256 (64). Spaces, colons and the invisible
        /// left-to-right mark that Windows' certificate dialog adds when copying are removed; the result is upper case.
        /// </summary>
        public static string NormalizeThumbprint(string thumbprint)
        {
            var sb = new StringBuilder(thumbprint.Length);
            foreach (char c in thumbprint)
            {
                if (c == ' ' || c == ':' || c == '\u200E' || c == '\u200F' || c == '\t')
                {
                    continue;
                }

                sb.Append(char.ToUpperInvariant(c));
            }

            string hex = sb.ToString();
            if ((hex.Length == 40 || hex.Length == 64) && hex.All(c => (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F')))
            {
                return hex;
            }

            throw Invalid("CertificateThumbprint", thumbprint,
                "use the certificate's SHA-1 thumbprint (40 hex digits) or SHA-256 thumbprint (64 hex digits); spaces and colons are allowed");
        }

        /// <summary>
        /// CombineDocumentTypes: one or more document types (English or Swedish names, any case; a list or one text with
        /// ',' or ';' between names), each once, in the enum's order.
        /// </summary>
        public static DocumentType[] ParseDocumentTypes(SettingDefinition setting, object value)
        {
            var names = new List<string>();
            switch (value)
            {
                case DocumentType type:
                    return new[] { type };
                case DocumentType[] types when types.Length > 0:
                    return types.Distinct().OrderBy(t => t).ToArray();
                case string text:
                    names.AddRange(text.Split(',', ';'));
                    break;
                case System.Collections.IEnumerable list:
                    foreach (object? item in list)
                    {
                        names.Add(item is string s ? s : Convert.ToString(item, CultureInfo.InvariantCulture) ?? string.Empty);
                    }

                    break;
                default:
                    names.Add(Convert.ToString(value, CultureInfo.InvariantCulture) ?? string.Empty);
                    break;
            }

            var result = new List<DocumentType>();
            foreach (string name in names.Select(n => n.Trim()).Where(n => n.Length > 0))
            {
                if (!DocumentTypes.TryParse(name, out DocumentType type))
                {
                    throw Invalid(setting, name, "use one or more of " + DocumentTypes.Accepted);
                }

                result.Add(type);
            }

            if (result.Count == 0)
            {
                throw Invalid(setting, string.Empty,
                    "name at least one document type (e.g. PurchaseOrder, Invoice); to combine every type use -Clear CombineDocumentTypes, to combine none -CombineDocuments:$false");
            }

            return result.Distinct().OrderBy(t => t).ToArray();
        }

        /// <summary>MessageLanguage: a language code such as sv, en, nb or sv-SE, stored in lower case.</summary>
        public static string ValidateLanguage(string language)
        {
            string value = language.Trim().Replace('_', '-');
            if (!System.Text.RegularExpressions.Regex.IsMatch(value, "^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$"))
            {
                throw Invalid("MessageLanguage", language, "use a language code such as sv, en, or one the template file (TemplatePath) adds, such as nb");
            }

            return value.ToLowerInvariant();
        }

        /// <summary>TemplatePath: a template file that exists and reads without error (JSON or .psd1); stored as a full path.</summary>
        public static string ValidateTemplatePath(string path)
        {
            string full;
            try
            {
                full = System.IO.Path.GetFullPath(path.Trim());
            }
            catch (Exception ex) when (ex is ArgumentException || ex is NotSupportedException || ex is System.IO.PathTooLongException)
            {
                throw Invalid("TemplatePath", path, "use the path of a .json or .psd1 template file");
            }

            MessageTemplates.Load(full);
            return full;
        }

        /// <summary>Enum settings: the value's name, any case; numbers are refused because they hide typos.</summary>
        public static object ParseEnum(SettingDefinition setting, object value)
        {
            Type type = setting.EnumType ?? throw new ArgumentException(setting.Name + " is not an enum setting");
            string names = string.Join(", ", Enum.GetNames(type));
            if (value.GetType() == type)
            {
                if (Enum.IsDefined(type, value))
                {
                    return value;
                }

                throw Invalid(setting, value.ToString(), "use one of " + names);
            }

            string text = AsText(setting, value).Trim();
            string? match = Enum.GetNames(type).FirstOrDefault(n => string.Equals(n, text, StringComparison.OrdinalIgnoreCase));
            if (match is null)
            {
                throw Invalid(setting, text, "use one of " + names);
            }

            return Enum.Parse(type, match);
        }

        private static NetworkCredential ValidateCredential(object value)
        {
            if (value is NetworkCredential credential)
            {
                string user = credential.UserName ?? string.Empty;
                if (user.Trim().Length == 0)
                {
                    throw Invalid("Credential", null, "give a credential with a user name, e.g. -Credential (Get-Credential)");
                }

                // Domain stays part of the user name as typed (DOMAIN\user or user@domain), as PSCredential holds it.
                string fullName = string.IsNullOrEmpty(credential.Domain) ? user.Trim() : credential.Domain + "\\" + user.Trim();
                return new NetworkCredential(fullName, credential.SecurePassword);
            }

            throw Invalid("Credential", null, "give a credential (user name and password), e.g. -Credential (Get-Credential)");
        }

        private static SecureString ValidateClientSecret(object value)
        {
            if (value is SecureString secret && secret.Length > 0)
            {
                return secret;
            }

            // The value is never shown: it may be a secret typed in the wrong place.
            throw Invalid("ClientSecret", null,
                "give the client secret's Value (not its Secret ID) as a SecureString, e.g. -ClientSecret (Read-Host -AsSecureString)");
        }

        private static string AsText(SettingDefinition setting, object value)
        {
            if (value is string s)
            {
                return s;
            }

            if (value is Uri || value is Guid || value is Enum)
            {
                return value.ToString()!;
            }

            throw Invalid(setting, Convert.ToString(value, CultureInfo.InvariantCulture), "use text");
        }

        private static long AsInteger(SettingDefinition setting, object value)
        {
            switch (value)
            {
                case int i: return i;
                case long l: return l;
                case short sh: return sh;
                case byte b: return b;
                case uint ui: return ui;
                case ushort us: return us;
                case double d when d == Math.Floor(d) && Math.Abs(d) < 1e15: return (long)d;
                case decimal m when m == decimal.Floor(m) && Math.Abs(m) < 1e15m: return (long)m;
                case string s when long.TryParse(s.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out long parsed): return parsed;
            }

            throw Invalid(setting, Convert.ToString(value, CultureInfo.InvariantCulture),
                "use a whole number from 0 to 65535 (0 = the method's standard port)");
        }

        private static double AsNumber(SettingDefinition setting, object value)
        {
            switch (value)
            {
                case double d: return d;
                case float f: return f;
                case int i: return i;
                case long l: return l;
                case decimal m: return (double)m;
                case string s when double.TryParse(s.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out double parsed): return parsed;
            }

            throw Invalid(setting, Convert.ToString(value, CultureInfo.InvariantCulture), "use a number greater than 0");
        }

        private static bool AsBoolean(SettingDefinition setting, object value)
        {
            switch (value)
            {
                case bool b: return b;
                case string s when bool.TryParse(s.Trim(), out bool parsed): return parsed;
            }

            throw Invalid(setting, Convert.ToString(value, CultureInfo.InvariantCulture), "use $true or $false");
        }

        private static DateTime AsDateTime(SettingDefinition setting, object value)
        {
            switch (value)
            {
                case DateTime dt: return dt;
                case DateTimeOffset dto: return dto.UtcDateTime;
                case string s when DateTime.TryParse(s.Trim(), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out DateTime parsed):
                    return parsed;
            }

            throw Invalid(setting, Convert.ToString(value, CultureInfo.InvariantCulture),
                "use a date, e.g. 2027-03-31 or (Get-Date).AddMonths(24)");
        }

        /// <summary>A DNS host name: labels of letters, digits and hyphens (underscore tolerated), at most 253 characters.</summary>
        internal static bool IsDnsName(string name)
        {
            string host = name.EndsWith(".", StringComparison.Ordinal) ? name.Substring(0, name.Length - 1) : name;
            if (host.Length == 0 || host.Length > 253)
            {
                return false;
            }

            foreach (string label in host.Split('.'))
            {
                if (label.Length == 0 || label.Length > 63 || label[0] == '-' || label[label.Length - 1] == '-')
                {
                    return false;
                }

                foreach (char c in label)
                {
                    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_'
                        || c > 127; // internationalised names are passed on as typed; the server resolves them
                    if (!ok)
                    {
                        return false;
                    }
                }
            }

            // A name of digits and dots only is a malformed IPv4 address, not a host name.
            return !host.All(c => char.IsDigit(c) || c == '.');
        }

        private static bool IsAddressLiteral(string domain) =>
            domain.StartsWith("[", StringComparison.Ordinal) && domain.EndsWith("]", StringComparison.Ordinal);

        internal static G5MailErrorException Invalid(string name, string? shownValue, string accepted) =>
            Invalid(SettingDefinitions.Find(name), shownValue, accepted);

        internal static G5MailErrorException Invalid(SettingDefinition setting, string? shownValue, string accepted)
        {
            string message;
            if (setting.IsSecret || shownValue is null)
            {
                message = $"The value given for {setting.Name} is not valid: {accepted}.";
            }
            else
            {
                string shown = shownValue.Length > MaxShownValueLength ? shownValue.Substring(0, MaxShownValueLength) + "…" : shownValue;
                message = $"{setting.Name} '{shown}' is not valid: {accepted}.";
            }

            return new G5MailErrorException(ErrorIds.InvalidSetting, ErrorKind.InvalidArgument, message, setting.Name);
        }
    }
}

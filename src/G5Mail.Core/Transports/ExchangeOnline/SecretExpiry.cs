using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Security;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using G5Mail.Core.Errors;

namespace G5Mail
{
    public enum SecretStatus
    {
        Valid,
        ExpiringSoon,
        Expired,
    }

    public enum SecretSource
    {
        /// <summary>Read from the app registration through Microsoft Graph.</summary>
        Graph,

        /// <summary>From the ClientSecretExpiresOn setting, because Graph could not be read.</summary>
        Settings,
    }

    /// <summary>
    /// One client secret of the Exchange Online app and when it expires (Get-G5SecretExpiry), from its "passwordCredential
    /// resource type" (learn.microsoft.com/graph/api/resources/passwordcredential: keyId, displayName, hint = the secret's
    /// first three characters, startDateTime, endDateTime; the value is never returned).
    /// </summary>
    public sealed class SecretExpiry
    {
        public Guid ClientId { get; set; }

        /// <summary>The secret's Secret ID in the app registration; null when the expiry comes from the settings.</summary>
        public Guid? KeyId { get; set; }

        /// <summary>The description given when the secret was created.</summary>
        public string? DisplayName { get; set; }

        /// <summary>The first three characters of the secret, as Graph returns them; never more.</summary>
        public string? Hint { get; set; }

        /// <summary>Local time, as dates are shown everywhere else in PowerShell.</summary>
        public DateTime? StartsOn { get; set; }

        /// <summary>Local time.</summary>
        public DateTime? ExpiresOn { get; set; }

        /// <summary>Calendar days until ExpiresOn; negative once expired.</summary>
        public int? DaysRemaining { get; set; }

        public SecretStatus Status { get; set; }

        /// <summary>True for the secret G5Mail uses (matched by its hint, or the one ClientSecretExpiresOn describes).</summary>
        public bool IsConfiguredSecret { get; set; }

        public SecretSource Source { get; set; }
    }
}

namespace G5Mail.Core.Transports.ExchangeOnline
{
    /// <summary>What Get-G5SecretExpiry found: the secrets, and warnings for the user (never containing a secret).</summary>
    public sealed class SecretExpiryReport
    {
        public SecretExpiryReport(IReadOnlyList<SecretExpiry> secrets, IReadOnlyList<string> warnings, string? graphUnreadable = null)
        {
            Secrets = secrets;
            Warnings = warnings;
            GraphUnreadable = graphUnreadable;
        }

        public IReadOnlyList<SecretExpiry> Secrets { get; }
        public IReadOnlyList<string> Warnings { get; }

        /// <summary>Why the app's secrets could not be read from Graph (then the settings were used); null when they were.</summary>
        public string? GraphUnreadable { get; }

        public SecretExpiry? Configured => Secrets.FirstOrDefault(s => s.IsConfiguredSecret);
    }

    /// <summary>The rules of Get-G5SecretExpiry, free of I/O: status, days left, and which secret is the configured one.</summary>
    public static class SecretExpiryRules
    {
        /// <summary>Expired from the moment of expiry; ExpiringSoon when it expires within <paramref name="warningDays"/> days.</summary>
        public static SecretStatus StatusOf(DateTimeOffset? expiresOn, DateTimeOffset now, int warningDays)
        {
            if (expiresOn == null)
            {
                return SecretStatus.Valid;
            }

            if (expiresOn.Value <= now)
            {
                return SecretStatus.Expired;
            }

            return expiresOn.Value <= now.AddDays(warningDays) ? SecretStatus.ExpiringSoon : SecretStatus.Valid;
        }

        /// <summary>Calendar days from today to the expiry date, in local time ("expires on the 8th, today is the 28th: 10 days"); negative once expired.</summary>
        public static int? DaysRemaining(DateTimeOffset? expiresOn, DateTimeOffset now)
        {
            if (expiresOn == null)
            {
                return null;
            }

            return (int)(expiresOn.Value.ToLocalTime().Date - now.ToLocalTime().Date).TotalDays;
        }

        /// <summary>
        /// Whether a secret with this Graph hint can be the configured one: Graph's hint is the first three characters of the
        /// secret, compared exactly (ordinal). Done in memory; the configured value is never shown.
        /// </summary>
        public static bool HintMatches(string? hint, string configuredSecret)
        {
            if (string.IsNullOrEmpty(hint) || string.IsNullOrEmpty(configuredSecret))
            {
                return false;
            }

            string prefix = configuredSecret.Length <= hint!.Length ? configuredSecret : configuredSecret.Substring(0, hint.Length);
            return string.Equals(prefix, hint, StringComparison.Ordinal);
        }

        /// <summary>
        /// Marks the configured secret among the app's secrets by its hint. When several share the hint, the configured one
        /// must be usable now (G5Mail just signed in with it), so expired and not-yet-valid ones are dropped; if that still
        /// leaves several, all of them are marked and <paramref name="ambiguous"/> is true.
        /// </summary>
        public static void MarkConfigured(IList<SecretExpiry> secrets, string configuredSecret, DateTimeOffset now, out bool ambiguous)
        {
            List<SecretExpiry> matches = secrets.Where(s => HintMatches(s.Hint, configuredSecret)).ToList();
            if (matches.Count > 1)
            {
                List<SecretExpiry> usable = matches.Where(s => (s.ExpiresOn == null || s.ExpiresOn > now) && (s.StartsOn == null || s.StartsOn <= now)).ToList();
                if (usable.Count > 0)
                {
                    matches = usable;
                }
            }

            ambiguous = matches.Count > 1;
            foreach (SecretExpiry secret in secrets)
            {
                secret.IsConfiguredSecret = matches.Contains(secret);
            }
        }

        /// <summary>The warning for the configured secret when it is expiring or expired; null when it is fine.</summary>
        public static string? WarningFor(SecretExpiry secret)
        {
            if (!secret.IsConfiguredSecret || secret.Status == SecretStatus.Valid || secret.ExpiresOn == null)
            {
                return null;
            }

            string which = secret.Source == SecretSource.Graph
                ? $"The configured client secret of app {secret.ClientId}{(string.IsNullOrEmpty(secret.DisplayName) ? string.Empty : $" ('{secret.DisplayName}')")}"
                : $"The configured client secret of app {secret.ClientId} (by ClientSecretExpiresOn)";
            string date = secret.ExpiresOn.Value.ToLocalTime().ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture);
            string fix = "Create a new client secret in the app registration (Certificates & secrets) and store it with " +
                         "Set-G5MailSetting -Scope System -ClientSecret (Read-Host -AsSecureString) -ClientSecretExpiresOn <its expiry>.";
            return secret.Status == SecretStatus.Expired
                ? $"{which} expired on {date}: Exchange Online refuses it, so no mail is sent. {fix}"
                : $"{which} expires on {date}, in {secret.DaysRemaining} day(s). {fix} Then delete the old secret.";
        }
    }

    /// <summary>
    /// Reads the app's client secrets from Graph (GET applications(appId='{ClientId}')?$select=passwordCredentials, "Get application",
    /// learn.microsoft.com/graph/api/application-get, which needs Application.Read.All) with an app-only token, and marks the
    /// configured one. Without that permission it falls back to ClientSecretExpiresOn.
    /// </summary>
    public sealed class SecretExpiryChecker
    {
        private readonly ExchangeOnlineOptions _options;
        private readonly GraphClient _graph;

        /// <param name="options">ClientSecret flow options (app-only).</param>
        public SecretExpiryChecker(ExchangeOnlineOptions options, GraphClient graph)
        {
            if (!options.IsAppOnly)
            {
                throw new ArgumentException("Secret expiry is read with an app-only (ClientSecret) sign-in.", nameof(options));
            }

            _options = options;
            _graph = graph;
        }

        public async Task<SecretExpiryReport> CheckAsync(int warningDays, DateTime? settingsExpiresOn, CancellationToken cancellationToken)
        {
            DateTimeOffset now = DateTimeOffset.UtcNow;
            var warnings = new List<string>();
            GraphResponse response;
            try
            {
                response = await _graph.SendAsync(HttpMethod.Get, $"applications(appId='{_options.ClientId}')?$select=passwordCredentials", () => null,
                    new GraphOperation("read the app's client secrets", GraphPermissions.ApplicationReadAll), cancellationToken).ConfigureAwait(false);
            }
            catch (TokenAcquisitionException ex) when (ex.EntraCode == 7000222)
            {
                // Entra already says the configured secret has expired: that is the answer, even without Graph.
                warnings.Add(ex.Message);
                var expired = FromSettings(settingsExpiresOn, now, warningDays);
                expired.Status = SecretStatus.Expired;
                return new SecretExpiryReport(new[] { expired }, warnings);
            }
            catch (G5MailErrorException ex) when (ex.ErrorId == ErrorIds.PermissionDenied)
            {
                string missing = $"Microsoft Graph does not let app {_options.ClientId} read its own client secrets: it needs the Microsoft Graph " +
                                 $"application permission {GraphPermissions.ApplicationReadAll} with admin consent. " +
                                 GraphPermissions.HowToGrant(GraphPermissions.ApplicationReadAll, appOnly: true);
                return Fallback(missing, warningDays, settingsExpiresOn, now, warnings);
            }
            catch (G5MailErrorException ex) when (ex.Kind == ErrorKind.ObjectNotFound)
            {
                // A multi-tenant app is registered in its home tenant; here it has only a service principal, without secrets.
                string elsewhere = $"Tenant '{_options.TenantId}' holds no app registration with ClientId {_options.ClientId} (an app registered " +
                                   "in another tenant has only an enterprise application here), so its client secrets cannot be read.";
                return Fallback(elsewhere, warningDays, settingsExpiresOn, now, warnings);
            }

            List<SecretExpiry> secrets = Parse(response.Body, _options.ClientId, now, warningDays);
            string configured = new NetworkCredential(string.Empty, _options.ClientSecret).Password;
            SecretExpiryRules.MarkConfigured(secrets, configured, now, out bool ambiguous);
            SecretExpiry? mine = secrets.FirstOrDefault(s => s.IsConfiguredSecret);
            if (mine == null)
            {
                warnings.Add($"None of the {secrets.Count} client secret(s) of app {_options.ClientId} has the hint of the configured ClientSecret. " +
                             "Check that ClientId names the app the secret was created for.");
            }
            else if (ambiguous)
            {
                warnings.Add($"{secrets.Count(s => s.IsConfiguredSecret)} client secrets of app {_options.ClientId} start with the same three characters " +
                             "as the configured one, so G5Mail cannot tell which it is; all of them are marked IsConfiguredSecret.");
            }

            foreach (SecretExpiry secret in secrets)
            {
                string? warning = SecretExpiryRules.WarningFor(secret);
                if (warning != null)
                {
                    warnings.Add(warning);
                }
            }

            return new SecretExpiryReport(secrets, warnings);
        }

        private SecretExpiryReport Fallback(string missing, int warningDays, DateTime? settingsExpiresOn, DateTimeOffset now, List<string> warnings)
        {
            if (settingsExpiresOn == null)
            {
                warnings.Add(missing + " ClientSecretExpiresOn is not set either, so the expiry is unknown: note it with " +
                             "Set-G5MailSetting -Scope System -ClientSecretExpiresOn <date>.");
                return new SecretExpiryReport(Array.Empty<SecretExpiry>(), warnings, missing);
            }

            warnings.Add(missing + " Using ClientSecretExpiresOn from the settings instead.");
            SecretExpiry fromSettings = FromSettings(settingsExpiresOn, now, warningDays);
            string? warning = SecretExpiryRules.WarningFor(fromSettings);
            if (warning != null)
            {
                warnings.Add(warning);
            }

            return new SecretExpiryReport(new[] { fromSettings }, warnings, missing);
        }

        private SecretExpiry FromSettings(DateTime? expiresOn, DateTimeOffset now, int warningDays)
        {
            DateTimeOffset? expires = expiresOn == null ? (DateTimeOffset?)null
                : new DateTimeOffset(expiresOn.Value.Kind == DateTimeKind.Unspecified ? DateTime.SpecifyKind(expiresOn.Value, DateTimeKind.Local) : expiresOn.Value);
            return new SecretExpiry
            {
                ClientId = _options.ClientId,
                ExpiresOn = expires?.LocalDateTime,
                DaysRemaining = SecretExpiryRules.DaysRemaining(expires, now),
                Status = SecretExpiryRules.StatusOf(expires, now, warningDays),
                IsConfiguredSecret = true,
                Source = SecretSource.Settings,
            };
        }

        /// <summary>The passwordCredentials array of an application, as SecretExpiry (Source Graph).</summary>
        public static List<SecretExpiry> Parse(byte[] body, Guid clientId, DateTimeOffset now, int warningDays)
        {
            var secrets = new List<SecretExpiry>();
            using (JsonDocument document = JsonDocument.Parse(body))
            {
                if (!document.RootElement.TryGetProperty("passwordCredentials", out JsonElement list) || list.ValueKind != JsonValueKind.Array)
                {
                    return secrets;
                }

                foreach (JsonElement item in list.EnumerateArray())
                {
                    DateTimeOffset? expires = Date(item, "endDateTime");
                    secrets.Add(new SecretExpiry
                    {
                        ClientId = clientId,
                        KeyId = Guid.TryParse(Text(item, "keyId"), out Guid keyId) ? keyId : (Guid?)null,
                        DisplayName = Text(item, "displayName"),
                        Hint = Text(item, "hint"),
                        StartsOn = Date(item, "startDateTime")?.LocalDateTime,
                        ExpiresOn = expires?.LocalDateTime,
                        DaysRemaining = SecretExpiryRules.DaysRemaining(expires, now),
                        Status = SecretExpiryRules.StatusOf(expires, now, warningDays),
                        Source = SecretSource.Graph,
                    });
                }
            }

            return secrets;
        }

        private static string? Text(JsonElement item, string name) =>
            item.TryGetProperty(name, out JsonElement value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

        private static DateTimeOffset? Date(JsonElement item, string name)
        {
            string? text = Text(item, name);
            return text != null && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out DateTimeOffset value)
                ? value
                : (DateTimeOffset?)null;
        }
    }
}

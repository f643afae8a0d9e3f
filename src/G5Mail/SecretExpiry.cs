using System;
using G5Mail.Core.ExchangeOnline;

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

    /// <summary>One client secret of the Exchange Online app and when it expires (Get-G5SecretExpiry).</summary>
    public sealed class SecretExpiry
    {
        public Guid ClientId { get; set; }

        /// <summary>The secret's Secret ID in the app registration; null when the expiry comes from the settings.</summary>
        public Guid? KeyId { get; set; }

        /// <summary>The description given when the secret was created.</summary>
        public string? DisplayName { get; set; }

        /// <summary>The first three characters of the secret, as Graph returns them; never more.</summary>
        public string? Hint { get; set; }

        /// <summary>Local time.</summary>
        public DateTime? StartsOn { get; set; }

        /// <summary>Local time.</summary>
        public DateTime? ExpiresOn { get; set; }

        /// <summary>Calendar days until ExpiresOn; negative once expired.</summary>
        public int? DaysRemaining { get; set; }

        public SecretStatus Status { get; set; }

        /// <summary>True for the secret G5Mail uses (matched by its hint, or the one ClientSecretExpiresOn describes).</summary>
        public bool IsConfiguredSecret { get; set; }

        public SecretSource Source { get; set; }

        internal static SecretExpiry From(SecretExpiryInfo info)
        {
            return new SecretExpiry
            {
                ClientId = info.ClientId,
                KeyId = info.KeyId,
                DisplayName = info.DisplayName,
                Hint = info.Hint,
                // Local time, as dates are shown everywhere else in PowerShell.
                StartsOn = info.StartsOn?.LocalDateTime,
                ExpiresOn = info.ExpiresOn?.LocalDateTime,
                DaysRemaining = info.DaysRemaining,
                Status = (SecretStatus)(int)info.Status,
                IsConfiguredSecret = info.IsConfiguredSecret,
                Source = (SecretSource)(int)info.Source,
            };
        }
    }
}

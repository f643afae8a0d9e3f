using System;

namespace G5Mail.Core.Transports
{
    /// <summary>
    /// How long one HTTP request (connect, TLS handshake, upload and the wait for the answer) may take: the TimeoutSeconds
    /// setting, plus the time a request body needs at a slow but working line. TimeoutSeconds bounds each wait; a large
    /// upload is not a wait, and 60 MB of EWS request must not fail on a 30 s bound that only meant "the server is silent".
    /// </summary>
    public static class HttpDeadline
    {
        /// <summary>The slowest upload rate still taken as working: 128 KiB/s (about 1 Mbit/s).</summary>
        public const long SlowLineBytesPerSecond = 128 * 1024;

        public static TimeSpan For(TimeSpan timeout, long bodyBytes) =>
            bodyBytes <= 0 ? timeout : timeout + TimeSpan.FromSeconds(Math.Floor(bodyBytes / (double)SlowLineBytesPerSecond));

        /// <summary>The setting's words for messages: "TimeoutSeconds 30".</summary>
        public static string Describe(TimeSpan timeout) =>
            $"TimeoutSeconds {Math.Round(timeout.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture)}; for a slow link " +
            "raise it with Set-G5MailSetting -TimeoutSeconds <seconds>";
    }
}

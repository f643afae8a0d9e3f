using System;
using MailKit;

namespace G5Mail.Core.Transports
{
    /// <summary>What the MailKit clients (SMTP, IMAP) share in G5Mail's hands.</summary>
    internal static class MailServices
    {
        /// <summary>Says goodbye (QUIT, LOGOUT) when still connected, and disposes; never throws: the connection is going away either way.</summary>
        public static void CloseQuietly(MailService? client)
        {
            if (client == null)
            {
                return;
            }

            try
            {
                if (client.IsConnected)
                {
                    client.Disconnect(true);
                }
            }
            catch (Exception)
            {
                // Best effort: the connection is going away either way.
            }

            client.Dispose();
        }
    }
}

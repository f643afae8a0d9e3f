namespace G5Mail.Core.Transports.Outlook
{
    /// <summary>What Outlook does with each message it creates (Send-G5Document -Display, -SaveAsDraft).</summary>
    public enum OutlookAction
    {
        /// <summary>MailItem.Send: the message goes out from the user's mailbox and lands in Sent Items.</summary>
        Send,

        /// <summary>MailItem.Display(false): the message opens in an Outlook window for the user to review and send.</summary>
        Display,

        /// <summary>MailItem.Save: the message is saved in the Drafts folder, unsent.</summary>
        SaveAsDraft,
    }

    /// <summary>The Reason of a Draft outcome, saying where the unsent message is.</summary>
    public static class DraftReasons
    {
        /// <summary>Opened in an Outlook window (-Display).</summary>
        public const string Displayed = "Displayed";

        /// <summary>Saved in Outlook's Drafts folder (-SaveAsDraft).</summary>
        public const string SavedToDrafts = "SavedToDrafts";
    }
}

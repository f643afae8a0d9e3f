using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using G5Mail.Core.Documents;
using MimeKit;

namespace G5Mail.Core.Calendar
{
    /// <summary>
    /// The mail of one calendar change (iMIP, RFC 6047): to the organizer and the attendees, a text part for people and
    /// the iCalendar object twice: as "text/calendar; method=REQUEST" (RFC 6047 2.4: the method parameter must match the
    /// object's METHOD), which Outlook, Outlook on the web, Gmail and Apple Calendar put into the calendar, and as an
    /// "invite.ics" attachment for clients that only offer attachments to import.
    /// </summary>
    /// <remarks>
    /// Structure, as the big mail systems send invitations themselves: multipart/mixed { multipart/alternative
    /// { text/plain, text/calendar }, application/ics }. Both calendar parts are base64, so no relay can re-wrap the
    /// folded lines (RFC 6047 2.3 allows any transfer encoding).
    /// </remarks>
    public sealed class InvitationMessage
    {
        private InvitationMessage(CalendarChange change, string from, IReadOnlyList<string> to, string subject, string body, string calendar, string messageId)
        {
            Change = change;
            From = from;
            To = to;
            Subject = subject;
            Body = body;
            Calendar = calendar;
            MessageId = messageId;
        }

        public CalendarChange Change { get; }
        public string From { get; }
        public IReadOnlyList<string> To { get; }
        public string Subject { get; }
        public string Body { get; }

        /// <summary>The iCalendar object (<see cref="ActivityCalendar.Write"/>).</summary>
        public string Calendar { get; }

        /// <summary>"&lt;guid@domain&gt;".</summary>
        public string MessageId { get; }

        /// <param name="from">The settings' From; the organizer sends himself when it is null.</param>
        public static InvitationMessage Compose(CalendarChange change, string? from)
        {
            Activity a = change.Activity;
            string sender = string.IsNullOrWhiteSpace(from) ? a.Organizer : from!;
            MailboxAddress senderMailbox = MailAddresses.ParseNormalized(sender);
            var to = new List<string> { a.Organizer };
            to.AddRange(a.Attendees);
            string prefix = change.Kind == ChangeKind.Cancel ? "Cancelled: " : change.Kind == ChangeKind.Update && change.HasState ? "Updated: " : string.Empty;
            string subject = prefix + (a.Subject.Length > 0 ? a.Subject : "Activity " + a.ActivityId);
            string messageId = "<" + Guid.NewGuid().ToString("N") + "@" + MailAddresses.DomainOf(senderMailbox) + ">";
            return new InvitationMessage(change, senderMailbox.ToString(), to, subject, BodyOf(change), ActivityCalendar.Write(change, sender), messageId);
        }

        public MimeMessage ToMimeMessage()
        {
            var message = new MimeMessage();
            message.From.Add(MailAddresses.ParseNormalized(From));
            message.To.AddRange(To.Select(MailAddresses.ParseNormalized));
            message.Subject = Subject;
            message.Date = Change.Stamp;
            message.MessageId = MessageId.Trim('<', '>');
            // Exchange and Outlook recognise a meeting message by this header as well as by the content type.
            message.Headers.Add("Content-Class", "urn:content-classes:calendarmessage");

            var text = new TextPart("plain");
            text.SetText(Encoding.UTF8, Body);
            text.ContentTransferEncoding = ContentEncoding.QuotedPrintable;

            byte[] calendar = new UTF8Encoding(false).GetBytes(Calendar);
            var inline = new MimePart("text", "calendar")
            {
                Content = new MimeContent(new System.IO.MemoryStream(calendar, false)),
                ContentTransferEncoding = ContentEncoding.Base64,
            };
            inline.ContentType.Parameters.Add("method", Change.Method);
            inline.ContentType.Charset = "utf-8";

            var attachment = new MimePart("application", "ics")
            {
                Content = new MimeContent(new System.IO.MemoryStream(calendar, false)),
                ContentTransferEncoding = ContentEncoding.Base64,
                ContentDisposition = new ContentDisposition(ContentDisposition.Attachment),
                FileName = Change.Kind == ChangeKind.Cancel ? "cancel.ics" : "invite.ics",
            };

            var alternative = new MultipartAlternative { text, inline };
            message.Body = new Multipart("mixed") { alternative, attachment };
            return message;
        }

        private static string BodyOf(CalendarChange change)
        {
            Activity a = change.Activity;
            var body = new StringBuilder();
            if (change.Kind == ChangeKind.Cancel)
            {
                body.Append("This activity has been cancelled.\r\n\r\n");
            }

            body.Append(a.Subject.Length > 0 ? a.Subject : "Activity " + a.ActivityId).Append("\r\n");
            body.Append("When: ").Append(When(a)).Append("\r\n");
            if (a.Location != null)
            {
                body.Append("Where: ").Append(a.Location).Append("\r\n");
            }

            body.Append("Organizer: ").Append(a.Organizer).Append("\r\n");
            if (a.Attendees.Count > 0)
            {
                body.Append("Attendees: ").Append(string.Join(", ", a.Attendees)).Append("\r\n");
            }

            if (a.Description != null)
            {
                body.Append("\r\n").Append(a.Description.Replace("\n", "\r\n")).Append("\r\n");
            }

            return body.ToString();
        }

        internal static string When(Activity a)
        {
            CultureInfo c = CultureInfo.InvariantCulture;
            if (a.AllDay)
            {
                DateTime last = a.LocalEnd.AddDays(-1);
                return last == a.LocalStart ? a.LocalStart.ToString("yyyy-MM-dd", c) + " (all day)"
                    : a.LocalStart.ToString("yyyy-MM-dd", c) + " - " + last.ToString("yyyy-MM-dd", c) + " (all day)";
            }

            string end = a.LocalEnd.Date == a.LocalStart.Date ? a.LocalEnd.ToString("HH:mm", c) : a.LocalEnd.ToString("yyyy-MM-dd HH:mm", c);
            return a.LocalStart.ToString("yyyy-MM-dd HH:mm", c) + " - " + end + " (" + a.TimeZoneId + ")";
        }
    }
}

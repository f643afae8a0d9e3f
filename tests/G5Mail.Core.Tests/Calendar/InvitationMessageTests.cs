using System;
using System.IO;
using System.Linq;
using System.Text;
using G5Mail.Core.Calendar;
using MimeKit;
using Xunit;
using static G5Mail.Core.Tests.Calendar.CalendarFixtures;

namespace G5Mail.Core.Tests.Calendar
{
    /// <summary>The iMIP mail of a change (RFC 6047), as a receiving server parses it.</summary>
    public sealed class InvitationMessageTests
    {
        private static Activity Activity(string? status = null) => Read(new ActivityRequest
        {
            ActivityId = "A-1001",
            Subject = "Service av kompressor, hall 2",
            Location = "Verkstan",
            Description = "Ta med nycklar.\nRing vid grinden.",
            Start = "2027-06-10 09:00",
            End = "2027-06-10 10:00",
            Organizer = "Planering <planner@example.com>",
            Attendees = new[] { "anna@example.com; \"Bo Ek\" <bo@example.com>" },
            Status = status,
        });

        /// <summary>The message as written to the wire and parsed back.</summary>
        private static MimeMessage OnTheWire(InvitationMessage invitation)
        {
            var stream = new MemoryStream();
            invitation.ToMimeMessage().WriteTo(stream);
            stream.Position = 0;
            return MimeMessage.Load(stream);
        }

        private static string Decoded(MimePart part)
        {
            var bytes = new MemoryStream();
            Assert.NotNull(part.Content);
            part.Content!.DecodeTo(bytes);
            return new UTF8Encoding(false, true).GetString(bytes.ToArray());
        }

        [Fact]
        public void The_mail_is_mixed_of_alternative_text_and_calendar_and_an_ics_attachment()
        {
            InvitationMessage invitation = InvitationMessage.Compose(Change(Activity()), "assistent@example.com");
            MimeMessage mime = OnTheWire(invitation);

            var mixed = Assert.IsType<Multipart>(mime.Body);
            Assert.Equal("multipart/mixed", mixed.ContentType.MimeType);
            Assert.Equal(2, mixed.Count);

            var alternative = Assert.IsType<MultipartAlternative>(mixed[0]);
            Assert.Equal(2, alternative.Count);
            var text = Assert.IsType<TextPart>(alternative[0]);
            Assert.Equal("text/plain", text.ContentType.MimeType);
            Assert.Contains("Service av kompressor, hall 2", text.Text);
            Assert.Contains("2027-06-10 09:00 - 10:00 (Europe/Stockholm)", text.Text);
            Assert.Contains("Ring vid grinden.", text.Text);

            MimePart calendar = Assert.IsAssignableFrom<MimePart>(alternative[1]);
            Assert.Equal("text/calendar", calendar.ContentType.MimeType);
            Assert.Equal("utf-8", calendar.ContentType.Charset, ignoreCase: true);
            Assert.Equal(ContentEncoding.Base64, calendar.ContentTransferEncoding);

            MimePart attachment = Assert.IsAssignableFrom<MimePart>(mixed[1]);
            Assert.Equal("application/ics", attachment.ContentType.MimeType);
            Assert.True(attachment.IsAttachment);
            Assert.Equal("invite.ics", attachment.FileName);

            // MimeKit files a Content-* header of the top level under the body it parses; on the wire it is a message header.
            var wire = new MemoryStream();
            invitation.ToMimeMessage().WriteTo(wire);
            string head = Encoding.ASCII.GetString(wire.ToArray()).Replace("\r\n", "\n").Split(new[] { "\n\n" }, 2, StringSplitOptions.None)[0];
            Assert.Contains("\nContent-Class: urn:content-classes:calendarmessage\n", head);
            Assert.Contains("Content-Type: multipart/mixed", head);
        }

        [Theory]
        [InlineData(ChangeKind.Create, "REQUEST")]
        [InlineData(ChangeKind.Update, "REQUEST")]
        [InlineData(ChangeKind.Cancel, "CANCEL")]
        public void The_method_parameter_matches_METHOD_and_both_parts_carry_the_same_calendar(ChangeKind kind, string method)
        {
            Activity a = Activity(kind == ChangeKind.Cancel ? "Cancelled" : null);
            InvitationMessage invitation = InvitationMessage.Compose(Change(a, kind, sequence: 1), null);
            MimeMessage mime = OnTheWire(invitation);
            var mixed = Assert.IsType<Multipart>(mime.Body);
            MimePart inline = (MimePart)((MultipartAlternative)mixed[0])[1];
            MimePart attachment = (MimePart)mixed[1];

            Assert.Equal(method, inline.ContentType.Parameters["method"]);
            string inlineText = Decoded(inline);
            Assert.Equal(invitation.Calendar, inlineText);
            Assert.Equal(invitation.Calendar, Decoded(attachment));
            Assert.Equal(method, Parse(inlineText).Method);
            Assert.Equal(kind == ChangeKind.Cancel ? "cancel.ics" : "invite.ics", attachment.FileName);
        }

        [Fact]
        public void It_goes_to_the_organizer_and_the_attendees_from_the_sender()
        {
            InvitationMessage invitation = InvitationMessage.Compose(Change(Activity()), "Assistent <assistent@example.com>");
            MimeMessage mime = OnTheWire(invitation);

            Assert.Equal(new[] { "planner@example.com", "anna@example.com", "bo@example.com" }, mime.To.Mailboxes.Select(m => m.Address));
            Assert.Equal("assistent@example.com", Assert.Single(mime.From.Mailboxes).Address);
            Assert.Equal(invitation.MessageId.Trim('<', '>'), mime.MessageId);
            Assert.EndsWith("@example.com>", invitation.MessageId);
            Assert.Equal(Stamp, mime.Date);
            Assert.Contains("SENT-BY=\"mailto:assistent@example.com\"", Unfold(invitation.Calendar).Single(l => l.StartsWith("ORGANIZER", StringComparison.Ordinal)));
        }

        [Fact]
        public void Without_From_the_organizer_sends_it_himself()
        {
            InvitationMessage invitation = InvitationMessage.Compose(Change(Activity()), null);
            Assert.Contains("planner@example.com", invitation.From);
            Assert.DoesNotContain("SENT-BY", invitation.Calendar);
        }

        [Theory]
        [InlineData(ChangeKind.Create, true, "Service av kompressor, hall 2")]
        [InlineData(ChangeKind.Update, true, "Updated: Service av kompressor, hall 2")]
        [InlineData(ChangeKind.Update, false, "Service av kompressor, hall 2")] // without state: nothing says it is an update
        [InlineData(ChangeKind.Cancel, true, "Cancelled: Service av kompressor, hall 2")]
        [InlineData(ChangeKind.Cancel, false, "Cancelled: Service av kompressor, hall 2")]
        public void The_subject_says_what_changed(ChangeKind kind, bool hasState, string subject)
        {
            Activity a = Activity(kind == ChangeKind.Cancel ? "Cancelled" : null);
            InvitationMessage invitation = InvitationMessage.Compose(Change(a, kind, 1, hasState), null);
            Assert.Equal(subject, invitation.Subject);
            Assert.Equal(subject, OnTheWire(invitation).Subject);
        }

        [Fact]
        public void A_cancellation_says_so_in_the_text()
        {
            InvitationMessage invitation = InvitationMessage.Compose(Change(Activity("Cancelled"), ChangeKind.Cancel, 1), null);
            Assert.StartsWith("This activity has been cancelled.", invitation.Body);
        }

        [Fact]
        public void An_activity_without_subject_is_named_by_its_id()
        {
            Activity a = Read(new ActivityRequest { ActivityId = "A-7", Start = "2027-06-10 09:00", DurationMinutes = 30 });
            Assert.Equal("Activity A-7", InvitationMessage.Compose(Change(a), null).Subject);
        }

        [Fact]
        public void When_shows_all_day_spans_and_times_across_midnight()
        {
            Activity oneDay = Read(new ActivityRequest { ActivityId = "A", AllDay = true, Start = "2027-06-01" });
            Assert.Equal("2027-06-01 (all day)", InvitationMessage.When(oneDay));
            Activity twoDays = Read(new ActivityRequest { ActivityId = "A", AllDay = true, Start = "2027-06-01", End = "2027-06-02" });
            Assert.Equal("2027-06-01 - 2027-06-02 (all day)", InvitationMessage.When(twoDays));
            Activity night = Read(new ActivityRequest { ActivityId = "A", Start = "2027-06-01 22:00", End = "2027-06-02 01:00" });
            Assert.Equal("2027-06-01 22:00 - 2027-06-02 01:00 (Europe/Stockholm)", InvitationMessage.When(night));
        }
    }
}

using G5Mail.Core.Transports.Imap;
using MailKit;
using MimeKit;
using Xunit;

namespace G5Mail.Core.Tests.Transports.Imap
{
    /// <summary>What an IMAP listing (BODYSTRUCTURE) can tell of a delivery report, before the MIME is read.</summary>
    public sealed class ImapDeliveryReportListingTests
    {
        [Fact]
        public void A_report_type_tells_and_a_multipart_report_without_its_parameters_is_unknown()
        {
            Assert.True(ImapMailboxReader.IsDeliveryReport(Multipart("report", ("report-type", "delivery-status"))));
            Assert.True(ImapMailboxReader.IsDeliveryReport(Multipart("report", ("report-type", "Global-Delivery-Status"))));
            Assert.False(ImapMailboxReader.IsDeliveryReport(Multipart("report", ("report-type", "disposition-notification"))));
            Assert.False(ImapMailboxReader.IsDeliveryReport(Multipart("mixed")));
            Assert.False(ImapMailboxReader.IsDeliveryReport(new BodyPartText(new ContentType("text", "plain"), "1")));
            // smtp4dev 3.15 sends no extension data: the listing cannot tell, so Get-G5DeliveryReport reads the message.
            Assert.Null(ImapMailboxReader.IsDeliveryReport(Multipart("report")));
        }

        private static BodyPartMultipart Multipart(string subtype, params (string Name, string Value)[] parameters)
        {
            var type = new ContentType("multipart", subtype);
            foreach ((string name, string value) in parameters)
            {
                type.Parameters.Add(name, value);
            }

            return new BodyPartMultipart(type, string.Empty);
        }
    }
}

using G5Mail.Core.Transports.Outlook;
using Xunit;

namespace G5Mail.Core.Tests.Transports.Outlook
{
    public sealed class OutlookMessageBodyTests
    {
        private const string Signature = "<html><head></head><body lang=SV style='x'><p>Anna</p></body></html>";

        [Fact]
        public void Plain_text_into_an_html_item_is_escaped_and_goes_first_in_the_body()
        {
            var (text, html) = OutlookMessageBody.Merge("Faktura <1001> & \"följesedel\"\r\nRad två\r\n", false, new OutlookBody(OutlookBodyFormat.Html, Signature));

            Assert.True(html);
            Assert.Equal("<html><head></head><body lang=SV style='x'><div>Faktura &lt;1001&gt; &amp; &quot;följesedel&quot;<br>\r\nRad två</div>\r\n<p>Anna</p></body></html>", text);
        }

        [Fact]
        public void An_html_document_contributes_only_its_body()
        {
            var (text, html) = OutlookMessageBody.Merge("<html><body class=a><b>Hej</b></body></html>", true, new OutlookBody(OutlookBodyFormat.Html, Signature));

            Assert.True(html);
            Assert.Equal("<html><head></head><body lang=SV style='x'><b>Hej</b><p>Anna</p></body></html>", text);
        }

        [Fact]
        public void Html_into_a_plain_item_keeps_the_signature_as_html_text()
        {
            var (text, html) = OutlookMessageBody.Merge("<p>Hej</p>", true, new OutlookBody(OutlookBodyFormat.Plain, "Anna\r\n"));

            Assert.True(html);
            Assert.Equal("<p>Hej</p><div>Anna</div>\r\n", text);
        }

        [Fact]
        public void Without_a_signature_the_text_is_used_as_given()
        {
            Assert.Equal(("Hej\r\n", false), OutlookMessageBody.Merge("Hej\r\n", false, new OutlookBody(OutlookBodyFormat.Plain, "")));
            Assert.Equal(("<p>Hej</p>", true), OutlookMessageBody.Merge("<p>Hej</p>", true, new OutlookBody(OutlookBodyFormat.RichText, " ")));
        }

        [Fact]
        public void Plain_text_into_a_rich_text_item_stays_plain_with_the_signature_below()
        {
            Assert.Equal(("Hej\r\n\r\nAnna", false), OutlookMessageBody.Merge("Hej\r\n", false, new OutlookBody(OutlookBodyFormat.RichText, "Anna")));
        }
    }
}

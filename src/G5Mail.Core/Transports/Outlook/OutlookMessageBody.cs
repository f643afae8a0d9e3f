using System.Text;
using System.Text.RegularExpressions;

namespace G5Mail.Core.Transports.Outlook
{
    /// <summary>
    /// Puts the message text above what Outlook placed in the new item (the user's default signature, inserted when
    /// the item's inspector is created), in the item's own format, the way a person typing in Outlook would.
    /// </summary>
    internal static class OutlookMessageBody
    {
        private static readonly Regex BodyOpen = new Regex(@"<body\b[^>]*>", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);
        private static readonly Regex BodyClose = new Regex(@"</body\s*>", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant | RegexOptions.RightToLeft);
        private static readonly Regex BodyInner = new Regex(@"<body\b[^>]*>(.*)</body\s*>", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant | RegexOptions.Singleline);

        /// <returns>The text to set and whether it goes into HTMLBody (true) or Body (false).</returns>
        public static (string Text, bool Html) Merge(string body, bool bodyIsHtml, OutlookBody existing)
        {
            bool hasExisting = existing.Text.Trim().Length > 0;
            if (existing.Format == OutlookBodyFormat.Html && hasExisting)
            {
                // The user's mail format is HTML: keep Outlook's document (styles, signature, images) and put the
                // text first in its body. Plain text is turned into HTML so the signature keeps its formatting.
                string fragment = bodyIsHtml ? InnerBody(body) : PlainToHtml(body);
                Match open = BodyOpen.Match(existing.Text);
                string merged = open.Success
                    ? existing.Text.Substring(0, open.Index + open.Length) + fragment + existing.Text.Substring(open.Index + open.Length)
                    : fragment + existing.Text;
                return (merged, true);
            }

            if (bodyIsHtml)
            {
                // HTML was asked for on a plain-text (or RTF) item: Outlook switches the item to HTML; a plain
                // signature follows as HTML text.
                if (!hasExisting)
                {
                    return (body, true);
                }

                string signature = PlainToHtml(existing.Text);
                Match close = BodyClose.Match(body);
                return (close.Success ? body.Substring(0, close.Index) + signature + body.Substring(close.Index) : body + signature, true);
            }

            return (hasExisting ? body.TrimEnd('\r', '\n') + "\r\n\r\n" + existing.Text : body, false);
        }

        /// <summary>The content of &lt;body&gt; when the text is a whole HTML document, else the text.</summary>
        internal static string InnerBody(string html)
        {
            Match inner = BodyInner.Match(html);
            return inner.Success ? inner.Groups[1].Value : html;
        }

        /// <summary>Plain text as an HTML block: the five specials escaped, each line break a &lt;br&gt;.</summary>
        internal static string PlainToHtml(string text)
        {
            var html = new StringBuilder("<div>");
            string normalized = text.Replace("\r\n", "\n").Replace('\r', '\n').TrimEnd('\n');
            foreach (char c in normalized)
            {
                switch (c)
                {
                    case '&': html.Append("&amp;"); break;
                    case '<': html.Append("&lt;"); break;
                    case '>': html.Append("&gt;"); break;
                    case '"': html.Append("&quot;"); break;
                    case '\'': html.Append("&#39;"); break;
                    case '\n': html.Append("<br>\r\n"); break;
                    default: html.Append(c); break;
                }
            }

            return html.Append("</div>\r\n").ToString();
        }
    }
}

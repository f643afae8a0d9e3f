using System;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.InteropServices;
using G5Mail.Core.Runs;
using G5Mail.Core.Transports.Outlook;

namespace G5Mail.Core.Tests.Transports.Outlook
{
    /// <summary>
    /// A recording stand-in for classic Outlook behind <see cref="IOutlookApplication"/>: every object-model call is
    /// written to <see cref="Calls"/> in the order made, and any call can be made to fail with the HRESULT Outlook
    /// would return. Its behaviour follows the documented object model (Recipients.Add + Type, ResolveAll,
    /// GetInspector inserting the default signature, Attachments.Add(Source, olByValue, Position, DisplayName),
    /// Send/Display/Save/Close). The real COM calls (OutlookComApplication) are verified only on Windows with Outlook;
    /// these tests cover everything around them.
    /// </summary>
    internal sealed partial class RecordingOutlook : IOutlookHost, IOutlookApplication
    {
        private readonly Dictionary<string, Queue<Exception>> _faults = new Dictionary<string, Queue<Exception>>(StringComparer.Ordinal);

        public bool IsWindows { get; set; } = true;
        public bool IsInteractiveSession { get; set; } = true;
        public bool Running { get; set; } = true;
        public OutlookRegistration Registration { get; set; } =
            new OutlookRegistration("{0006F03A-0000-0000-C000-000000000046}", "Outlook.Application.16", @"C:\Program Files\Microsoft Office\root\Office16\OUTLOOK.EXE", "16.0.17928.20114");

        public string Version { get; set; } = "16.0.0.17928";

        /// <summary>What the new item's inspector puts in the body: the user's mail format and default signature.</summary>
        public OutlookBody NewItemBody { get; set; } = new OutlookBody(OutlookBodyFormat.Html,
            "<html><head><style>p{margin:0}</style></head><body lang=SV><p>Med vänlig hälsning<br>Anna Svensson</p></body></html>");

        /// <summary>SMTP addresses of the profile's accounts (Session.Accounts).</summary>
        public List<string> Accounts { get; } = new List<string> { "anna.svensson@example.se" };

        /// <summary>Addresses Outlook cannot resolve.</summary>
        public HashSet<string> Unresolvable { get; } = new HashSet<string>(StringComparer.OrdinalIgnoreCase);

        public List<string> Calls { get; } = new List<string>();
        public List<RecordingMailItem> Items { get; } = new List<RecordingMailItem>();
        public int Connects { get; private set; }
        public int ApplicationReleases { get; private set; }

        /// <summary>Makes the next <paramref name="times"/> calls named <paramref name="call"/> throw <paramref name="error"/>.</summary>
        public RecordingOutlook Fail(string call, Exception error, int times = 1)
        {
            if (!_faults.TryGetValue(call, out Queue<Exception>? queue))
            {
                _faults[call] = queue = new Queue<Exception>();
            }

            for (int i = 0; i < times; i++)
            {
                queue.Enqueue(error);
            }

            return this;
        }

        public static COMException Com(int hresult, string message = "Outlook failed") => new COMException(message, hresult);

        public bool IsOutlookRunning() => Running;

        public OutlookRegistration ReadRegistration() => Registration;

        public IOutlookApplication Connect()
        {
            Record("Connect");
            Connects++;
            return this;
        }

        string IOutlookApplication.Version
        {
            get
            {
                Record("Version");
                return Version;
            }
        }

        public IOutlookMailItem CreateMailItem()
        {
            Record("CreateItem(0)");
            var item = new RecordingMailItem(this, Items.Count + 1);
            Items.Add(item);
            return item;
        }

        public void Dispose()
        {
            Calls.Add("Release(Application)");
            ApplicationReleases++;
        }

        /// <summary>Records a call, or throws the fault queued for it.</summary>
        internal void Record(string call)
        {
            string name = call.Split('(', '=')[0];
            if (_faults.TryGetValue(name, out Queue<Exception>? queue) && queue.Count > 0)
            {
                Calls.Add(call + " !" + queue.Peek().GetType().Name);
                throw queue.Dequeue();
            }

            Calls.Add(call);
        }

        public OutlookTransport CreateTransport(OutlookAction action, IRunLog? log = null, params TimeSpan[] busyDelays) =>
            OutlookTransport.Create(this, action, log ?? NullRunLog.Instance, busyDelays.Length > 0 ? busyDelays : new[] { TimeSpan.Zero, TimeSpan.Zero });
    }

    internal sealed class RecordingMailItem : IOutlookMailItem
    {
        private readonly RecordingOutlook _outlook;
        private readonly List<(string Address, OutlookRecipientType Type)> _recipients = new List<(string, OutlookRecipientType)>();

        public RecordingMailItem(RecordingOutlook outlook, int number)
        {
            _outlook = outlook;
            Number = number;
        }

        public int Number { get; }
        public IReadOnlyList<(string Address, OutlookRecipientType Type)> Recipients => _recipients;
        public string? Subject { get; private set; }
        public string? Body { get; private set; }
        public bool BodyIsHtml { get; private set; }
        public string? Account { get; private set; }
        public List<(string Path, int Position, string DisplayName)> Attachments { get; } = new List<(string, int, string)>();

        /// <summary>Sent, Displayed, Saved or Discarded; null while nothing happened.</summary>
        public string? Fate { get; private set; }
        public int Releases { get; private set; }

        public void AddRecipient(string address, OutlookRecipientType type)
        {
            Record($"Recipients.Add({address}).Type={(int)type}");
            _recipients.Add((address, type));
        }

        public bool ResolveAll()
        {
            Record("Recipients.ResolveAll()");
            return _recipients.All(r => !_outlook.Unresolvable.Contains(r.Address));
        }

        public IReadOnlyList<bool> RecipientsResolved()
        {
            Record("Recipients.Resolved");
            return _recipients.Select(r => !_outlook.Unresolvable.Contains(r.Address)).ToArray();
        }

        public bool UseAccount(string smtpAddress)
        {
            Record($"SendUsingAccount({smtpAddress})");
            string? account = _outlook.Accounts.FirstOrDefault(a => string.Equals(a, smtpAddress, StringComparison.OrdinalIgnoreCase));
            Account = account ?? Account;
            return account != null;
        }

        public void SetSubject(string subject)
        {
            Record("Subject=" + subject);
            Subject = subject;
        }

        public OutlookBody ReadBody()
        {
            Record("GetInspector");
            return _outlook.NewItemBody;
        }

        public void SetBody(string text, bool html)
        {
            Record(html ? "HTMLBody=" : "Body=");
            Body = text;
            BodyIsHtml = html;
        }

        public void AddAttachment(string path, int position, string displayName)
        {
            Record($"Attachments.Add({path},1,{position},{displayName})");
            Attachments.Add((path, position, displayName));
        }

        public void Send()
        {
            Record("Send()");
            Fate = "Sent";
        }

        public void Display()
        {
            Record("Display(false)");
            Fate = "Displayed";
        }

        public void Save()
        {
            Record("Save()");
            Fate = "Saved";
        }

        public void Discard()
        {
            Record("Close(1)");
            Fate = "Discarded";
        }

        public void Dispose()
        {
            _outlook.Calls.Add($"Release(Item {Number})");
            Releases++;
        }

        private void Record(string call) => _outlook.Record(call);
    }

    /// <summary>Collects what the engine logs, to assert on warnings.</summary>
    internal sealed class ListRunLog : IRunLog
    {
        public List<string> Verbose { get; } = new List<string>();
        public List<string> Warnings { get; } = new List<string>();

        void IRunLog.Verbose(string message) => Verbose.Add(message);

        public void Warning(string message) => Warnings.Add(message);
    }
}

using System.Collections.Concurrent;
using System.Management.Automation;
using G5Mail.Core.Runs;

namespace G5Mail
{
    /// <summary>
    /// Collects engine messages from any thread and writes them as verbose/warning records on the pipeline thread,
    /// where PowerShell requires Write* calls to happen.
    /// </summary>
    internal sealed class PipelineLog : IRunLog
    {
        private readonly ConcurrentQueue<(bool Warning, string Text)> _pending = new ConcurrentQueue<(bool, string)>();

        public void Verbose(string message) => _pending.Enqueue((false, message));

        public void Warning(string message) => _pending.Enqueue((true, message));

        /// <summary>Writes what was queued; call from the pipeline thread only.</summary>
        public void Flush(Cmdlet cmdlet)
        {
            while (_pending.TryDequeue(out var item))
            {
                if (item.Warning)
                {
                    cmdlet.WriteWarning(item.Text);
                }
                else
                {
                    cmdlet.WriteVerbose(item.Text);
                }
            }
        }
    }
}

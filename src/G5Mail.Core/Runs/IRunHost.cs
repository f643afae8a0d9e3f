namespace G5Mail.Core.Runs
{
    /// <summary>
    /// What a run asks of whoever runs it (the cmdlet), always on the caller's thread: PowerShell requires every
    /// Write* and ShouldProcess on the pipeline thread. The run never calls back for anything else.
    /// </summary>
    public interface IRunHost<in TResult>
    {
        /// <summary>-WhatIf / -Confirm for one item: true to go ahead.</summary>
        bool ShouldProcess(string target, string action);

        /// <summary>One result, in input order.</summary>
        void Write(TResult result);

        /// <summary>Called between items and while sends are awaited: progress, and log lines queued by other threads.</summary>
        void Idle(RunProgress progress);
    }

    /// <summary>How far a run is: items and bytes done of the total.</summary>
    public sealed class RunProgress
    {
        public RunProgress(int count, long totalBytes)
        {
            Count = count;
            TotalBytes = totalBytes;
        }

        public int Count { get; }
        public long TotalBytes { get; }
        public int Done { get; internal set; }
        public long DoneBytes { get; internal set; }
    }
}

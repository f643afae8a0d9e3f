namespace G5Mail.Core.Runs
{
    /// <summary>
    /// Where the engine reports what a user may want to see (-Verbose, warnings). Implementations must be thread-safe:
    /// network code may call it from any thread; the cmdlet layer writes it on the pipeline thread.
    /// Never pass a secret to it.
    /// </summary>
    public interface IRunLog
    {
        void Verbose(string message);
        void Warning(string message);
    }

    public sealed class NullRunLog : IRunLog
    {
        public static readonly NullRunLog Instance = new NullRunLog();

        public void Verbose(string message)
        {
        }

        public void Warning(string message)
        {
        }
    }
}

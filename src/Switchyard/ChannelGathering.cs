using System.Threading.Channels;

namespace Switchyard;

/// <summary>The wait of the batching writers (the request log file, the stored request log, cluster settlements).</summary>
internal static class ChannelGathering
{
    /// <summary>
    /// Waits for an item, then — unless <paramref name="enough"/> are queued already, or the channel is closing, or
    /// <paramref name="stop"/> is signalled — a moment longer, so that one write takes many items instead of one write
    /// (and one wake-up) per item. False once the channel is completed and empty.
    /// </summary>
    public static async ValueTask<bool> WaitToGatherAsync<T>(this ChannelReader<T> reader, int enough, TimeSpan gather, TimeProvider time, CancellationToken stop = default)
    {
        if (!await reader.WaitToReadAsync(CancellationToken.None).ConfigureAwait(false)) // stop only shortens the gathering: the writer drains until the channel completes
        {
            return false;
        }
        if (reader.Count < enough && !reader.Completion.IsCompleted && !stop.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(gather, time, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // stopping: what is queued goes now
            }
        }
        return true;
    }
}

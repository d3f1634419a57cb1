using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;
using FlowExporter.Correlator.CaptureFiles;
using FlowExporter.Correlator.Decoding;

namespace FlowExporter.Capture;

/// <summary>
/// Reads a capture file on a thread of its own, applies the capture filter and decodes every frame into batches, so
/// that a replay's accounting (the connection table, on the caller's thread under the engine's lock) overlaps the
/// file's reading and decoding. The table's work is the longer stage, so the gain is modest (docs/capture.md: 0.77 s to
/// 0.73 s for the 2-million-frame benchmark file, for 0.25 s more CPU).
/// At most <see cref="BatchesInFlight"/> batches exist; the reader waits for the table, never the other way round.
/// </summary>
internal sealed class FileDecodingThread : IDisposable
{
    private const int FramesPerBatch = 4096;
    private const int BatchesInFlight = 4;

    private readonly CaptureFileReader _reader;
    private readonly FileFilter _filter;
    private readonly FrameDecoder _decoder;
    private readonly BlockingCollection<DecodedFrameBatch> _full = new(BatchesInFlight);
    private readonly BlockingCollection<DecodedFrameBatch> _free = new(BatchesInFlight);
    private readonly CancellationTokenSource _stop;
    private readonly Thread _thread;
    private ExceptionDispatchInfo? _failure;
    private long _frames;

    public FileDecodingThread(CaptureFileReader reader, FileFilter filter, DecoderOptions decoder, CancellationToken cancellationToken)
    {
        _reader = reader;
        _filter = filter;
        _decoder = new FrameDecoder(decoder);
        _stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        for (var i = 0; i < BatchesInFlight; i++)
        {
            _free.Add(new DecodedFrameBatch(FramesPerBatch), CancellationToken.None);
        }

        _thread = new Thread(Run) { IsBackground = true, Name = "replay-decode" };
        _thread.Start();
    }

    /// <summary>Frames read from the file (the filter's rejects included); final once <see cref="Batches"/> has ended.</summary>
    public long Frames => Volatile.Read(ref _frames);

    /// <summary>
    /// The decoded batches in file order, each to be handed back with <see cref="Return"/> once accounted. Ends at the
    /// end of the file (or where it could no longer be read, see <see cref="CaptureFileReader.Problem"/>); rethrows a
    /// read failure of the file.
    /// </summary>
    public IEnumerable<DecodedFrameBatch> Batches()
    {
        foreach (var batch in _full.GetConsumingEnumerable(_stop.Token))
        {
            yield return batch;
        }

        _thread.Join();
        _failure?.Throw();
    }

    public void Return(DecodedFrameBatch batch) => _free.Add(batch);

    public void Dispose()
    {
        _stop.Cancel();
        _thread.Join();
        _stop.Dispose();
        _full.Dispose();
        _free.Dispose();
    }

    private void Run()
    {
        try
        {
            var described = 0;
            var ended = false;
            while (!ended)
            {
                var batch = _free.Take(_stop.Token);
                batch.Count = 0;
                batch.Described.Clear();
                ended = Fill(batch, ref described);
                _full.Add(batch, _stop.Token);
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            // The replay stopped taking batches (it was cancelled or failed): nothing is waiting for the rest.
            return;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Handed to the replay, which rethrows it from Batches(): a reading thread must not end the process.
            _failure = ExceptionDispatchInfo.Capture(ex);
        }
        finally
        {
            _full.CompleteAdding();
        }
    }

    /// <summary>Fills <paramref name="batch"/>; true when the file has no more frames.</summary>
    private bool Fill(DecodedFrameBatch batch, ref int described)
    {
        var frames = batch.Frames;
        while (batch.Count < frames.Length)
        {
            var read = _reader.TryReadNext(out var frame);
            var interfaces = _reader.Interfaces;
            while (described < interfaces.Count)
            {
                batch.Described.Add(interfaces[described++]);
            }

            if (!read)
            {
                return true;
            }

            Volatile.Write(ref _frames, _frames + 1);

            if (!_filter.IsEmpty && !_filter.Matches(frame.LinkType, frame.Data, frame.WireLength))
            {
                continue;
            }

            ref var slot = ref frames[batch.Count++];
            slot.InterfaceId = frame.InterfaceId;
            slot.WireLength = frame.WireLength;
            slot.TimestampNanoseconds = frame.TimestampNanoseconds;
            slot.Result = _decoder.Decode(frame.LinkType, frame.Data, ref slot.Packet);
        }

        return false;
    }
}

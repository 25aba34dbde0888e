using System.Diagnostics;
using System.Text.Json;
using Gateway.Telemetry;
using Gateway.Telemetry.Records;

namespace Gateway.Tests.Telemetry;

/// <summary>
/// The JSON-lines file under rotation: logrotate renaming or deleting it while records flow, and
/// the sink's own size-based rotation. Every record is counted across all the files.
/// </summary>
public sealed class JsonLinesRotationTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "gateway-rotation-" + Guid.NewGuid().ToString("N"));

    public JsonLinesRotationTests() => Directory.CreateDirectory(_directory);

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task Rename_UnderLoad_EveryRecordIsInTheRenamedOrTheNewFileExactlyOnce()
    {
        const int count = 30_000;
        var path = Path.Combine(_directory, "access.jsonl");
        using var loss = new TelemetryLoss();
        using var secondRenameSeen = new ManualResetEventSlim();
        await using (var pipeline = new RecordPipeline([new JsonLinesSink(path, Options(count), loss)]))
        {
            // Records keep coming while the file is renamed, at the pace of a busy gateway. The sink
            // notices a rename within 0.5 s; a quiet machine offers all 30,000 in less than that, so
            // the last thousand wait (bounded) until the sink has made the file after the second rename.
            // A thread of its own: it sleeps and waits, and a pool thread held so would delay the
            // sinks' timers (their rename checks) in this and the tests running beside it.
            var producer = Task.Factory.StartNew(() =>
            {
                for (var i = 0; i < count; i++)
                {
                    if (i == count - 1000)
                    {
                        secondRenameSeen.Wait(TimeSpan.FromSeconds(10));
                    }

                    Submit(pipeline, i);
                    if (i % 100 == 99)
                    {
                        Thread.Sleep(1);
                    }
                }
            }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

            // logrotate's default "create": rename, then a new empty file at the path, made as
            // logrotate makes it (O_CREAT|O_EXCL): never truncating a file the sink may already have
            // opened there and written into.
            await WaitForAsync(() => loss.Exported > count / 3);
            File.Move(path, path + ".1");
            try
            {
                await using (new FileStream(path, FileMode.CreateNew))
                {
                }
            }
            catch (IOException) when (File.Exists(path))
            {
            }

            // "nocreate": only the rename, once the sink writes into the new file; the sink makes the next one.
            await WaitForAsync(() => new FileInfo(path).Length > 0);
            File.Move(path, path + ".2");
            await WaitForAsync(() => File.Exists(path));
            secondRenameSeen.Set();
            await producer;
        }

        var seen = new[] { path + ".1", path + ".2", path }.Select(Ids).ToList();
        Assert.True(seen.All(ids => ids.Count > 0), $"records per file (.1, .2, the path): {string.Join(", ", seen.Select(ids => ids.Count))}; exported {loss.Exported}");
        var all = seen.SelectMany(ids => ids).ToList();
        Assert.Equal(count, all.Count);
        Assert.Equal(Enumerable.Range(0, count), all.Order());
        // Each file holds a stretch of the sequence: the sink moved on, it did not go back.
        Assert.True(seen[0].Max() < seen[1].Min() && seen[1].Max() < seen[2].Min());
        Assert.Equal(count, loss.Exported);
        Assert.Empty(loss.Dropped());
    }

    [Fact]
    public async Task Delete_WhileIdle_ThePathIsOpenedAgainWithinASecondAndLaterRecordsLandThere()
    {
        var path = Path.Combine(_directory, "access.jsonl");
        using var loss = new TelemetryLoss();
        await using (var pipeline = new RecordPipeline([new JsonLinesSink(path, Options(100), loss)]))
        {
            for (var i = 0; i < 10; i++)
            {
                Submit(pipeline, i);
            }

            await WaitForAsync(() => loss.Exported == 10);
            File.Delete(path);
            var watch = Stopwatch.StartNew();

            // Polled on this thread, not with Task.Delay: the test host holds thread-pool threads, and a
            // continuation waiting for one measured the pool's delay (over a second at start), not the sink's.
            while (!File.Exists(path) && watch.Elapsed < TimeSpan.FromSeconds(10))
            {
                Thread.Sleep(5);
            }

            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(1), $"reopened after {watch.Elapsed.TotalMilliseconds:0} ms");

            for (var i = 10; i < 15; i++)
            {
                Submit(pipeline, i);
            }
        }

        Assert.Equal([10, 11, 12, 13, 14], Ids(path));
    }

    [Fact]
    public async Task Reopen_AfterARenameWithoutCreate_StartsTheNewFileAtOnce()
    {
        // What SIGHUP does (logrotate's postrotate): no waiting for the next check.
        var path = Path.Combine(_directory, "access.jsonl");
        using var loss = new TelemetryLoss();
        var sink = new JsonLinesSink(path, Options(100), loss);
        await using var pipeline = new RecordPipeline([sink]);
        File.Move(path, path + ".1");

        sink.Reopen();

        Assert.True(File.Exists(path));
    }

    [Fact]
    public async Task MaxBytes_RotatesAtWholeLinesAndKeepsMaxFiles()
    {
        const int count = 400;
        const long maxBytes = 4096;
        var path = Path.Combine(_directory, "access.jsonl");
        using var loss = new TelemetryLoss();
        await using (var pipeline = new RecordPipeline([new JsonLinesSink(path, Options(count), loss, maxBytes: maxBytes, maxFiles: 3)]))
        {
            for (var i = 0; i < count; i++)
            {
                Submit(pipeline, i);
            }
        }

        var files = Directory.GetFiles(_directory).Select(Path.GetFileName).Order().ToList();
        Assert.Equal(["access.jsonl", "access.jsonl.1", "access.jsonl.2", "access.jsonl.3"], files);
        foreach (var file in Directory.GetFiles(_directory))
        {
            var bytes = File.ReadAllBytes(file);
            Assert.InRange(bytes.Length, 1, maxBytes);
            Assert.Equal((byte)'\n', bytes[^1]);
        }

        // The newest records are kept, oldest file last, none twice, none missing in between.
        var kept = new[] { ".3", ".2", ".1", "" }.SelectMany(suffix => Ids(path + suffix)).ToList();
        Assert.Equal(Enumerable.Range(count - kept.Count, kept.Count), kept);
        Assert.Equal(count, loss.Exported);
    }

    [Fact]
    public async Task MaxBytes_LineLongerThanTheLimit_FillsAFileOfItsOwn()
    {
        var path = Path.Combine(_directory, "access.jsonl");
        using var loss = new TelemetryLoss();
        await using (var pipeline = new RecordPipeline([new JsonLinesSink(path, Options(10), loss, maxBytes: 4096, maxFiles: 5)]))
        {
            Submit(pipeline, 0);
            Submit(pipeline, 1, padding: 10_000);
            Submit(pipeline, 2);
        }

        Assert.Equal([0], Ids(path + ".2"));
        Assert.Equal([1], Ids(path + ".1"));
        Assert.Equal([2], Ids(path));
    }

    // Batches as the embedded sink's, with room for every record of the test.
    private static BatchOptions Options(int queue) => new(queue, 512, TimeSpan.FromMilliseconds(20), TimeSpan.FromSeconds(5));

    private static void Submit(RecordPipeline pipeline, int id, int padding = 0)
    {
        var record = pipeline.Rent();
        record.HasLog = true;
        record.Log.EventName = SemanticConventions.ConnectionEvent;
        record.Log.Body = "connection closed";
        record.Log.Attributes.Add("test.id", (long)id);
        record.Log.Attributes.Add("test.padding", new string('p', padding + 40));
        pipeline.Submit(record);
    }

    // The test.id of every line of a file, in file order; every line must be a whole JSON object.
    private static List<int> Ids(string file) =>
        [.. File.ReadAllLines(file).Select(line => JsonDocument.Parse(line).RootElement.GetProperty("attributes").GetProperty("test.id").GetInt32())];

    private static async Task WaitForAsync(Func<bool> condition)
    {
        for (var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10); !condition() && DateTime.UtcNow < deadline;)
        {
            await Task.Delay(5);
        }

        Assert.True(condition(), "timed out");
    }
}

/// <summary>Runs alone: it holds every thread-pool thread for a while, which would slow other tests.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class BusyThreadPoolCollection
{
    public const string Name = "busy thread pool";
}

/// <summary>
/// The idle rotation check under a thread pool with no thread to spare, as on a gateway whose
/// request work fills the pool: the path is still opened again within a second.
/// </summary>
[Collection(BusyThreadPoolCollection.Name)]
public sealed class JsonLinesBusyPoolTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "gateway-rotation-" + Guid.NewGuid().ToString("N"));

    public JsonLinesBusyPoolTests() => Directory.CreateDirectory(_directory);

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task Delete_WhileEveryPoolThreadIsBusy_ThePathIsOpenedAgainWithinASecond()
    {
        var path = Path.Combine(_directory, "access.jsonl");
        using var loss = new TelemetryLoss();
        var sink = new JsonLinesSink(path, new BatchOptions(16, 16, TimeSpan.FromMilliseconds(20), TimeSpan.FromSeconds(5)), loss);
        await using var pipeline = new RecordPipeline([sink]);
        using var release = new ManualResetEventSlim();
        using var busy = new CountdownEvent(1);
        try
        {
            // More blocking work than the pool has threads: whatever is queued behind it (a timer's
            // callback included) waits until the pool adds threads, about two a second.
            for (var i = 0; i < ThreadPool.ThreadCount + 128; i++)
            {
                busy.AddCount();
                ThreadPool.UnsafeQueueUserWorkItem(_ =>
                {
                    release.Wait(TimeSpan.FromSeconds(10));
                    busy.Signal();
                }, null);
            }

            Thread.Sleep(100);
            File.Delete(path);
            var watch = Stopwatch.StartNew();
            while (!File.Exists(path) && watch.Elapsed < TimeSpan.FromSeconds(5))
            {
                Thread.Sleep(5);
            }

            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(1), $"reopened after {watch.Elapsed.TotalMilliseconds:0} ms");
        }
        finally
        {
            release.Set();
            busy.Signal();
            busy.Wait(TimeSpan.FromSeconds(10));
        }
    }
}

using System.Text;
using FlowExporter.Correlator.Ovs;

namespace FlowExporter.Correlator.Tests.Ovs;

public sealed class JsonMessageFramerTests
{
    private static List<string> Drain(JsonMessageFramer framer)
    {
        var messages = new List<string>();
        while (framer.TryReadMessage(out var message))
        {
            messages.Add(Encoding.UTF8.GetString(message.Span));
        }

        return messages;
    }

    private const string Stream =
        "{\"id\":1,\"result\":{\"a\":\"}{][\\\"\"}}\n{\"method\":\"echo\",\"params\":[],\"id\":\"echo\"}[1,[2]]  {\"x\":\"\\\\\"}";

    [Fact]
    public void Back_to_back_messages_split_even_with_brackets_and_escapes_inside_strings()
    {
        var framer = new JsonMessageFramer(1024);
        framer.Append(Encoding.UTF8.GetBytes(Stream));
        Assert.Equal(
            ["{\"id\":1,\"result\":{\"a\":\"}{][\\\"\"}}", "{\"method\":\"echo\",\"params\":[],\"id\":\"echo\"}", "[1,[2]]", "{\"x\":\"\\\\\"}"],
            Drain(framer));
        Assert.Equal(0, framer.Pending);
    }

    [Fact]
    public void Byte_by_byte_delivery_gives_the_same_messages()
    {
        var framer = new JsonMessageFramer(1024, initialCapacity: 4);
        var messages = new List<string>();
        foreach (var b in Encoding.UTF8.GetBytes(Stream))
        {
            framer.Append([b]);
            messages.AddRange(Drain(framer));
        }

        Assert.Equal(4, messages.Count);
        Assert.Equal("{\"x\":\"\\\\\"}", messages[3]);
    }

    [Fact]
    public void A_partial_message_waits_for_the_rest()
    {
        var framer = new JsonMessageFramer(1024);
        framer.Append("{\"id\":1,\"res"u8);
        Assert.Empty(Drain(framer));
        framer.Append("ult\":[]}"u8);
        Assert.Equal(["{\"id\":1,\"result\":[]}"], Drain(framer));
    }

    [Fact]
    public void An_oversized_message_and_garbage_between_messages_are_errors()
    {
        var small = new JsonMessageFramer(16);
        small.Append("{\"a\":\"0123456789abcdef\"}"u8);
        Assert.Throws<OvsdbFormatException>(() => small.TryReadMessage(out _));

        var garbage = new JsonMessageFramer(1024);
        garbage.Append("{}hello"u8);
        Assert.True(garbage.TryReadMessage(out _));
        Assert.Throws<OvsdbFormatException>(() => garbage.TryReadMessage(out _));
    }
}

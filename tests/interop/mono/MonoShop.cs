// MonoShop NETTCP_URL HTTP_URL — a NetTcpBinding (SecurityMode.None) service
// with a data contract (nested types, arrays, an enum, DateTime, decimal,
// Guid, nullable, byte[], TimeSpan) whose WSDL Mono's ServiceMetadataBehavior
// publishes over HTTP GET at HTTP_URL?wsdl. Prints "ready" once open; serves
// until stdin reaches EOF.
using System;
using System.Globalization;
using System.Runtime.Serialization;
using System.ServiceModel;
using System.ServiceModel.Description;
using System.Text;

namespace Shop
{
    [DataContract]
    public enum Status { [EnumMember] New, [EnumMember] Shipped }

    [DataContract]
    public class Line
    {
        [DataMember] public string Sku;
        [DataMember] public int Qty;
        [DataMember] public decimal Price;
    }

    [DataContract]
    public class Order
    {
        [DataMember] public Guid Id;
        [DataMember] public DateTime When;
        [DataMember] public decimal Total;
        [DataMember] public Line[] Lines;
        [DataMember] public Status Status;
        [DataMember] public int? Count;
        [DataMember] public string Note;
        [DataMember] public byte[] Blob;
        [DataMember] public TimeSpan Wait;
        [DataMember] public int[] Numbers;
        [DataMember] public bool Rush;
        [DataMember] public double Weight;
        [DataMember] public long Serial;
    }

    [ServiceContract(Namespace = "urn:shop")]
    public interface IShop
    {
        // What the service received, as text (invariant culture).
        [OperationContract]
        string Describe(Order order);
        // The order shipped: Status Shipped, Total doubled, Count + 1, a line added, Id and When kept; null for null.
        [OperationContract]
        Order Ship(Order order);
    }

    public class ShopService : IShop
    {
        static string D(decimal d) { return d.ToString(CultureInfo.InvariantCulture); }

        public string Describe(Order o)
        {
            if (o == null)
                return "null";
            var b = new StringBuilder();
            b.Append("Id=").Append(o.Id.ToString("D"));
            b.Append(" When=").Append(o.When.ToString("o", CultureInfo.InvariantCulture)).Append(" Kind=").Append(o.When.Kind);
            b.Append(" Total=").Append(D(o.Total));
            b.Append(" Lines=");
            if (o.Lines == null)
                b.Append("null");
            else {
                b.Append("[");
                for (int i = 0; i < o.Lines.Length; i++) {
                    var l = o.Lines[i];
                    if (i > 0)
                        b.Append("; ");
                    if (l == null)
                        b.Append("null");
                    else
                        b.Append(l.Sku ?? "null").Append(" x").Append(l.Qty).Append(" @").Append(D(l.Price));
                }
                b.Append("]");
            }
            b.Append(" Status=").Append(o.Status);
            b.Append(" Count=").Append(o.Count.HasValue ? o.Count.Value.ToString(CultureInfo.InvariantCulture) : "null");
            b.Append(" Note=").Append(o.Note ?? "null");
            b.Append(" Blob=").Append(o.Blob == null ? "null" : BitConverter.ToString(o.Blob));
            b.Append(" Wait=").Append(o.Wait.ToString());
            b.Append(" Numbers=").Append(o.Numbers == null ? "null" : string.Join(",", o.Numbers));
            b.Append(" Rush=").Append(o.Rush);
            b.Append(" Weight=").Append(o.Weight.ToString("R", CultureInfo.InvariantCulture));
            b.Append(" Serial=").Append(o.Serial.ToString(CultureInfo.InvariantCulture));
            return b.ToString();
        }

        public Order Ship(Order o)
        {
            if (o == null)
                return null;
            o.Status = Status.Shipped;
            o.Total = o.Total * 2;
            o.Count = (o.Count ?? 0) + 1;
            var lines = new Line[(o.Lines == null ? 0 : o.Lines.Length) + 1];
            if (o.Lines != null)
                Array.Copy(o.Lines, lines, o.Lines.Length);
            lines[lines.Length - 1] = new Line { Sku = "shipping", Qty = 1, Price = 4.95m };
            o.Lines = lines;
            o.Wait = o.Wait + TimeSpan.FromMinutes(90);
            o.Note = null;
            o.Serial = o.Serial + 1;
            return o;
        }
    }
}

namespace NetTcpInterop
{
    public static class MonoShop
    {
        public static int Main(string[] args)
        {
            if (args.Length != 2) {
                Console.Error.WriteLine("usage: MonoShop.exe net.tcp://127.0.0.1:PORT/PATH http://127.0.0.1:PORT/PATH");
                return 2;
            }
            var host = new ServiceHost(typeof(Shop.ShopService));
            host.AddServiceEndpoint(typeof(Shop.IShop), new NetTcpBinding(SecurityMode.None), args[0]);
            var smb = new ServiceMetadataBehavior();
            smb.HttpGetEnabled = true;
            smb.HttpGetUrl = new Uri(args[1]);
            host.Description.Behaviors.Add(smb);
            try {
                host.Open();
            } catch (Exception e) {
                Console.Error.WriteLine("cannot open: " + e.Message);
                return 1;
            }
            Console.WriteLine("ready");
            Console.Out.Flush();
            while (Console.In.ReadLine() != null) { }
            host.Close();
            return 0;
        }
    }
}

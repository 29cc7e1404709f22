Console.WriteLine("search");

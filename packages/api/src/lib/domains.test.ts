import { describe, expect, it } from "vitest";
import { emailDomain, isFreeMailDomain } from "./domains.ts";

describe("free mail domains", () => {
  it("knows the providers under any of their endings", () => {
    for (const domain of [
      "gmail.com",
      "googlemail.com",
      "outlook.com",
      "hotmail.co.uk",
      "yahoo.com",
      "yahoo.co.jp",
      "icloud.com",
      "proton.me",
      "protonmail.com",
      "gmx.de",
      "mail.ru",
      "qq.com",
      "163.com",
      "yandex.ru",
      "aol.com",
      "zoho.com",
      "fastmail.fm",
    ]) {
      expect(isFreeMailDomain(domain), domain).toBe(true);
    }
  });

  it("leaves company domains, subdomains and look-alikes alone", () => {
    for (const domain of ["acme.com", "gmail.acme.com", "mygmail.com", "yahoo-inc.example", "mail.acme.ru"]) {
      expect(isFreeMailDomain(domain), domain).toBe(false);
    }
  });

  it("reads an address's domain normalized", () => {
    expect(emailDomain("Ada@Mail.Example.COM")).toBe("mail.example.com");
    expect(emailDomain(null)).toBeUndefined();
    expect(emailDomain("no-at-sign")).toBeUndefined();
  });
});

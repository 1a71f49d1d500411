-- What Hugging Face says about a paper, kept apart from arXiv's fields (JSON object, or NULL when
-- HF never listed the paper): HF's own fields, and its copy of the bibliographic ones, used only
-- where arXiv has said nothing. Papers imported before this kept HF's title and authors where HF
-- was imported last; importing the arXiv listings again restores arXiv's.
ALTER TABLE papers ADD COLUMN hugging_face TEXT;

-- Hugging Face's daily-papers date, apart for the API's `date=`/`week=`/`month=`, which select
-- by it as HF's own API does (YYYY-MM-DD, NULL when HF never featured the paper).
ALTER TABLE papers ADD COLUMN hf_daily_date TEXT COLLATE "C";
CREATE INDEX papers_hf_daily_date ON papers (hf_daily_date) WHERE hf_daily_date IS NOT NULL;
